"""Shared test set-up. Session fixtures live in plugin modules, one per owner, so that the
expensive things (the hello bundle, the minbase image, the frozen installer) are built once per
run and shared by every test that needs them."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# packaging/ must not be importable as `packaging` (it would shadow PyPI's); its code is the
# `airlift_build` package inside it.
sys.path.insert(0, str(REPO / "packaging"))
sys.path.insert(0, str(REPO))

pytest_plugins = [
    "tests.fixtures.build_fixtures",
    "tests.fixtures.lab_fixtures",
    "tests.fixtures.licence_fixtures",
    "tests.fixtures.postgres",
    "tests.fixtures.s3",
]
