"""A download that survives a cut: the bytes go to `<file>.part`, and `<file>.part.json` says
what they are (the API path and the bundle's ETag), so the next request — in this run, after a
cut connection, or in the next `./install update download` — asks with HTTP Range for the rest
only, and `If-Range` makes the hub send the whole anew when the bundle changed meanwhile."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from installer.errors import AirliftError
from installer.hub_link.transport import HubUnreachable

log = logging.getLogger("installer.hub_link")

CHUNK = 1 << 20
ATTEMPTS = 5  # cuts in a row, with no byte arrived between them, before giving up

Request = Callable[[dict[str, str]], requests.Response]  # GET the bundle with these headers
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Fetched:
    path: Path
    received: int  # bytes this run received
    resumed_from: int  # what an earlier run (or cut) had kept
    cuts: int  # connections cut and resumed in this run


def part_path(target: Path) -> Path:
    return target.with_name(target.name + ".part")


def meta_path(target: Path) -> Path:
    return target.with_name(target.name + ".part.json")


def resume_offset(target: Path, api_path: str, size: int) -> tuple[int, str | None]:
    """Where to start: the .part's length and its ETag when it holds the same bundle, else 0."""
    part = part_path(target)
    try:
        meta = json.loads(meta_path(target).read_text())
        have = part.stat().st_size
    except (OSError, ValueError):
        return 0, None
    if meta.get("path") != api_path or meta.get("size") != size or have > size:
        return 0, None
    return have, meta.get("etag")


def fetch(target: Path, api_path: str, size: int, request: Request, progress: Progress | None = None) -> Fetched:
    """Download into `target` (`size` bytes), resuming its .part; the bytes are checked later."""
    start, etag = resume_offset(target, api_path, size)
    offset, received, cuts, stalled = start, 0, 0, 0
    while offset < size or not part_path(target).exists():
        try:
            offset, etag, got = _one_request(target, api_path, size, offset, etag, request, progress)
            received += got
            if offset < size:
                raise HubUnreachable(f"the hub ended the download at byte {offset} of {size}")
        except (HubUnreachable, requests.RequestException) as e:
            now, etag = resume_offset(target, api_path, size)  # what the cut request kept, and its ETag
            got, offset = max(now - offset, 0), now
            received, cuts, stalled = received + got, cuts + 1, (0 if got > 0 else stalled + 1)
            if stalled >= ATTEMPTS:
                raise AirliftError(f"The download of {target.name} stopped at byte {offset} of {size} ({e})",
                                   hint="run ./install update download again: it resumes from there") from None
            log.warning("download of %s cut at byte %d of %d (%s); resuming", target.name, offset, size, e)
    os.replace(part_path(target), target)
    meta_path(target).unlink(missing_ok=True)
    return Fetched(target, received, start, cuts)


def _one_request(target: Path, api_path: str, size: int, offset: int, etag: str | None, request: Request,
                 progress: Progress | None) -> tuple[int, str | None, int]:
    """One GET from `offset`; (where the .part ends, the ETag, bytes received). A 200 answer to a
    Range request (the bundle changed: another ETag) starts the .part again."""
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    if offset and etag:
        headers["If-Range"] = etag
    with request(headers) as response:
        if response.status_code == 200:
            offset = 0
        elif not response.headers.get("Content-Range", "").startswith(f"bytes {offset}-"):
            raise AirliftError(f"The hub answered a resumed download of {target.name} from byte {offset} with "
                               f"{response.headers.get('Content-Range') or 'no Content-Range'}",
                               hint="run ./install update download again")
        etag = response.headers.get("ETag") or etag
        meta_path(target).write_text(json.dumps({"path": api_path, "size": size, "etag": etag}))
        start = offset
        with open(part_path(target), "r+b" if offset else "wb") as out:
            out.seek(offset)
            out.truncate()
            for chunk in response.iter_content(CHUNK):
                out.write(chunk)
                offset += len(chunk)
                if progress:
                    progress(offset, size)
    return offset, etag, offset - start
