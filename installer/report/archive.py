"""The report on disk (a .tar.gz readable by root only) and a node's part on the wire (its files
packed into one JSON-able string for the agent's answer)."""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import tarfile
import time
from pathlib import Path

from installer.report.node import clip

MODE = 0o600
PACKED_LIMIT = 6 << 20  # under the agent API's 8 MiB body limit, with room for the JSON around it


def write_archive(path: Path, top: str, files: dict[str, str]) -> int:
    """Write `files` under the folder `top` into the .tar.gz at `path` (0600, even when it
    existed); its size in bytes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, MODE)
    os.fchmod(fd, MODE)
    now = int(time.time())
    with os.fdopen(fd, "wb") as out, tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name in sorted(files):
            data = files[name].encode("utf-8", errors="replace")
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, now
            tar.addfile(info, io.BytesIO(data))
    return path.stat().st_size


def pack_files(files: dict[str, str]) -> str:
    """A node's files as one string its agent sends back (gzip: logs shrink tenfold)."""
    return base64.b64encode(gzip.compress(json.dumps(files).encode("utf-8"))).decode("ascii")


def unpack_files(packed: str) -> dict[str, str]:
    files = json.loads(gzip.decompress(base64.b64decode(packed)))
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def pack_within(files: dict[str, str], limit: int = PACKED_LIMIT) -> str:
    """`pack_files`, each file cut shorter (its end kept) until the whole fits in `limit`."""
    packed = pack_files(files)
    keep = max((len(t) for t in files.values()), default=0)
    while len(packed) > limit and keep > 1024:
        keep //= 2
        packed = pack_files({name: clip(text, keep) for name, text in files.items()})
    return packed
