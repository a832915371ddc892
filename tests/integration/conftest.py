"""Fixtures the integration tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.installer_run import Target


@pytest.fixture
def installed(hello_bundle_dir: Path, tmp_path: Path) -> Iterator[Target]:
    """hello 1.0.0 installed on this host (a temp root and state dir, the k3s stand-in) for one
    test, uninstalled after it."""
    target = Target.installed(hello_bundle_dir, tmp_path)
    yield target
    assert target.uninstall().returncode == 0
