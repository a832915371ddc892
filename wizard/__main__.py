"""`python -m wizard [ARGS]`: `./install` from the sources, the installer's command line with the
wizard as its default front-end (the frozen installer's entry, packaging/airlift_entry.py, does
the same). `python -m installer` is the command line alone: the engine never imports the wizard."""

import sys

from installer.cli import main
from wizard import serve

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], wizard=serve))
