"""What provisioning copies: the installer's files, found before anything touches the host."""

from __future__ import annotations

from pathlib import Path

import pytest

from installer.errors import AirliftError
from installer.ssh.provision import tree_files


def test_files_and_whole_folders(tmp_path: Path) -> None:
    (tmp_path / "bin" / "_internal").mkdir(parents=True)
    for name in ("install", "bin/airlift", "bin/_internal/libpython.so", "README"):
        (tmp_path / name).write_text(name)
    assert sorted(tree_files(tmp_path, ["install", "bin"])) == [
        "bin/_internal/libpython.so", "bin/airlift", "install"]


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(AirliftError, match=f"{tmp_path}/install does not exist"):
        tree_files(tmp_path, ["install"])
