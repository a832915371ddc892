"""`python -m panel --state-dir S [--root R] [--listen ADDR]`: the control panel from the sources, as
the `airlift-panel` service runs it through the installer's entry (`install _panel ...`)."""

import sys

from panel.main import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
