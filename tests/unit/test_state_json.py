"""The state directory's small JSON documents: written whole and 0600, read as absent when damaged
or of another format."""

import os
import stat
from pathlib import Path

from installer.state_json import read_json, write_json


def test_written_0600_in_a_0700_folder_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "kept" / "doc.json"
    write_json(path, {"a": 1, "format": 9}, 2)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert read_json(path, 2) == {"a": 1, "format": 2}
    assert [p.name for p in path.parent.iterdir()] == ["doc.json"]


def test_missing_damaged_or_other_format_reads_as_absent(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    assert read_json(path, 1) is None
    path.write_text("{not json")
    assert read_json(path, 1) is None
    path.write_text('{"format": 2}')
    assert read_json(path, 1) is None
    path.write_text("[1]")
    assert read_json(path, 1) is None
