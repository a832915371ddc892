"""A small real bundle folder for engine and CLI unit tests: the hello manifest and resources
with a valid index.json, no images (the tests that use it never reach the registry)."""

import hashlib
import shutil
from pathlib import Path

from installer.bundle.index import Index, IndexEntry

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello"
FILES = ("app.yaml", "logo.svg", "eula.txt", "release-notes.md", "resources/hello.yaml",
         "resources/install-hook.yaml", "resources/status-hook.yaml")


def make_bundle(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for rel in FILES:
        dst = folder / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HELLO / rel, dst)
        data = dst.read_bytes()
        entries.append(IndexEntry(rel, len(data), hashlib.sha256(data).hexdigest(), 0o644))
    (folder / "index.json").write_bytes(Index("hello", "1.0.0", "0.1.0", tuple(entries)).to_json())
    return folder
