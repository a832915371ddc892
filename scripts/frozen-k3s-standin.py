"""Print the path of the k3s stand-in frozen into one file (built once per version, then cached).

`python scripts/frozen-k3s-standin.py [VERSION]`: the stand-in answers `k3s --version` with
VERSION (default v1.30.6+k3s1), so two versions give a bundle's runtime an upgrade to test.
`make bundle` carries it as the bundle's runtime/k3s, so the bundle runs on lab nodes, which
have no Python. Give a real k3s with `make bundle K3S=/path/to/k3s`.
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "packaging")]

from tests.fixtures.lab import frozen_standin  # noqa: E402 - after the path set-up above
from tests.fixtures.standin_version import DEFAULT_VERSION, check_version  # noqa: E402

if len(sys.argv) > 2:
    sys.exit(f"usage: {sys.argv[0]} [VERSION]")
try:
    version = check_version(sys.argv[1] if len(sys.argv) == 2 else DEFAULT_VERSION)
except ValueError as e:
    sys.exit(f"error: {e}")
print(frozen_standin(REPO, version))
