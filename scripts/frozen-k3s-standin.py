"""Print the path of the k3s stand-in frozen into one file (built once, then cached).

`make bundle` carries it as the bundle's runtime/k3s, so the bundle runs on lab nodes, which
have no Python. Give a real k3s with `make bundle K3S=/path/to/k3s`.
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "packaging")]

from tests.fixtures.lab import frozen_standin  # noqa: E402 - after the path set-up above

print(frozen_standin(REPO))
