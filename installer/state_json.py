"""The small JSON documents a state directory keeps (the hub link, its state, the support grant):
read leniently, written whole and 0600 through `Host.write_file`, in one way for every module.

Each document carries a `format` number; a file of another format, or one that is damaged, reads
as absent, so the module that owns it starts afresh rather than failing `./install status`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from installer.host import Host


def read_json(path: Path, fmt: int) -> dict[str, Any] | None:
    """The document at `path`, or None when it is missing, unreadable or not of format `fmt`."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("format") == fmt else None


def write_json(path: Path, doc: dict[str, Any], fmt: int) -> None:
    """Replace `path` whole (0600, in a 0700 folder made if missing), marked as format `fmt`."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    Host().write_file(path, json.dumps({**doc, "format": fmt}, indent=1), mode=0o600)
