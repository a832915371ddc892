"""`python -m hub …`: the hub's command line (hub.cli)."""

import sys

from hub.cli import main

sys.exit(main())
