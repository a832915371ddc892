"""A release as the bundle tarball, streamed from the blobs: the same members, order and
headers as build.py's deterministic writer (airlift_build.tarwriter; docs/contracts.md), so a
full bundle downloaded from the hub is byte for byte the one that was published, and a
differential one the one `build.py --since` writes (only the files its index carries). A signed
release's signature.json follows index.json.

Any byte range of the tarball can be streamed on its own (HTTP Range, a site resuming a cut
download): the members' lengths are known from the index, so a range starts reading the blob it
falls in at the right offset."""

from __future__ import annotations

import posixpath
import tarfile
from collections.abc import Callable, Iterator

from installer.bundle.index import INDEX_NAME, Index, IndexEntry

BLOCK = 512
RECORD = 20 * BLOCK
SIGNATURE_NAME = "signature.json"

# (sha256, offset) -> the blob's stored bytes from that offset on
Chunks = Callable[[str, int], Iterator[bytes]]


# One member: its header, and its content (a blob of the index, bytes, or nothing for a folder).
Part = tuple[bytes, IndexEntry | bytes | None]


def tar_size(index: Index, index_bytes: bytes, signature: bytes | None) -> int:
    """The tarball's length in bytes, known before the first byte is sent."""
    size = sum(len(header) + _padded(_length(content)) for header, content in _parts(index, index_bytes, signature))
    return _closed(size)


def stream_tar(index: Index, index_bytes: bytes, signature: bytes | None, chunks: Chunks,
               start: int = 0, stop: int | None = None) -> Iterator[bytes]:
    """The tarball's bytes from `start` to `stop` (exclusive; None: to the end)."""
    parts = _parts(index, index_bytes, signature)
    stop = tar_size(index, index_bytes, signature) if stop is None else stop
    at = 0
    for header, content in parts:
        length = _length(content)
        for segment, size in ((header, len(header)), (content, length), (_pad(length), -length % BLOCK)):
            if at >= stop:
                return
            if at + size > start and size:
                yield from _slice(segment, max(start - at, 0), min(at + size, stop) - at, chunks)
            at += size
    if stop > max(start, at):  # the end-of-archive blocks
        yield b"\0" * (stop - max(start, at))


def _slice(segment: IndexEntry | bytes | None, begin: int, end: int, chunks: Chunks) -> Iterator[bytes]:
    """Bytes `begin` to `end` of one header, padding or member's content."""
    if isinstance(segment, IndexEntry):
        left = end - begin
        for chunk in chunks(segment.sha256, begin):
            if len(chunk) >= left:
                yield chunk[:left]
                return
            yield chunk
            left -= len(chunk)
        raise OSError(f"blob {segment.sha256} holds fewer bytes than the index says ({segment.size})")
    if segment:
        yield segment[begin:end]


def _parts(index: Index, index_bytes: bytes, signature: bytes | None) -> list[Part]:
    top = f"{index.name}-{index.version}"
    parts: list[Part] = [(_header(top, 0, 0o755, True), None)]
    for name, entry in _members(index):
        if entry is None:
            parts.append((_header(f"{top}/{name.rstrip('/')}", 0, 0o755, True), None))
        else:
            parts.append((_header(f"{top}/{entry.stored_path}", entry.size, entry.mode), entry))
    for name, data in ((INDEX_NAME, index_bytes), (SIGNATURE_NAME, signature)):
        if data is not None:
            parts.append((_header(f"{top}/{name}", len(data), 0o644), data))
    return parts


def _length(content: IndexEntry | bytes | None) -> int:
    if isinstance(content, IndexEntry):
        return content.size
    return len(content) if content is not None else 0


def _closed(size: int) -> int:
    """The length once the end-of-archive marker is added and padded to a whole record, as tar(1) does."""
    size += 2 * BLOCK
    return size + (-size % RECORD)


def _members(index: Index) -> list[tuple[str, IndexEntry | None]]:
    """Folders (as `dir/`) and the files the bundle carries, sorted by logical path as the writer
    sorts them."""
    dirs: set[str] = set()
    for e in index.carried:
        d = posixpath.dirname(e.path)
        while d:
            dirs.add(d)
            d = posixpath.dirname(d)
    members: list[tuple[str, IndexEntry | None]] = [(d + "/", None) for d in dirs]
    members += [(e.path, e) for e in index.carried]
    return sorted(members, key=lambda m: m[0])


def _header(name: str, size: int, mode: int, is_dir: bool = False) -> bytes:
    info = tarfile.TarInfo(name)
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
    info.mode = mode
    info.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
    info.size = size
    return info.tobuf(tarfile.GNU_FORMAT, "utf-8", "strict")


def _padded(size: int) -> int:
    return size + (-size % BLOCK)


def _pad(size: int) -> bytes:
    return b"\0" * (-size % BLOCK)
