"""`python -m installer`: the installer's command line alone. `./install` (the frozen entry,
packaging/airlift_entry.py) and `python -m wizard` run the same with the wizard plugged in."""

import sys

from installer.cli import main

if __name__ == "__main__":
    sys.exit(main())
