"""read_text: what a file holds, or None when it cannot be read (missing, a folder), never an error."""

from pathlib import Path

from installer.readfile import read_text


def test_text_or_none(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"ok \xff\n")
    assert read_text(tmp_path / "f") == "ok \ufffd\n"
    assert read_text(tmp_path / "missing") is None
    assert read_text(tmp_path) is None
