"""`./install` and `python -m installer`: the installer's one entry point."""

import sys

from installer.cli import main

if __name__ == "__main__":
    sys.exit(main())
