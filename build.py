#!/usr/bin/env python3
"""Build an Airlift bundle: `python build.py app.yaml -o app-1.0.0.tar [--k3s PATH] ...`.

The build code is the `airlift_build` package inside packaging/ (packaging/ itself must never be
importable as `packaging`, which would shadow PyPI's module of that name).
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO / "packaging"))
sys.path.insert(0, str(REPO))

from airlift_build.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
