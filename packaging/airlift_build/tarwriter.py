"""A deterministic tar writer that zstd-compresses, per file, what is worth compressing.

Entries carry fixed metadata (mtime 0, uid/gid 0, no owner names, modes 0644/0755), so the
same inputs give the same bytes. A compressed member's size is only known after compressing,
so its header is written first with size 0 and rewritten in place afterwards: each byte
is compressed once, straight into the output, with multi-threaded zstd.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
from typing import BinaryIO

import zstandard

from airlift_build.files import BundleFile
from installer.bundle.index import ZST_SUFFIX, Content, IndexEntry

BLOCK = 512
RECORD = 20 * BLOCK
CHUNK = 4 << 20
SAMPLE = 256 << 10
MIN_COMPRESS_SIZE = 4096
WORTH_IT = 0.9
LEVEL = 3


class _HashingWriter:
    """Passes writes to the output file while hashing and counting them."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.out.write(data)
        self.hash.update(data)
        self.size += len(data)
        return len(data)


def worth_compressing(f: BundleFile) -> bool:
    """Compress a sample from the start and the middle; keep zstd only if it saves ≥10 %."""
    size = f.size
    if not f.compress or size < MIN_COMPRESS_SIZE:
        return False
    if f.data is not None:
        sample = f.data[:SAMPLE] + f.data[size // 2: size // 2 + SAMPLE]
    else:
        with open(f.source, "rb") as src:  # type: ignore[arg-type]
            sample = src.read(SAMPLE)
            src.seek(size // 2)
            sample += src.read(SAMPLE)
    return len(zstandard.ZstdCompressor(level=LEVEL).compress(sample)) < WORTH_IT * len(sample)


class DeterministicTar:
    """Writes members under one top folder; returns index entries for the files it writes."""

    def __init__(self, out: BinaryIO, top: str) -> None:
        self.out = out
        self.top = top
        self._cctx = zstandard.ZstdCompressor(level=LEVEL, threads=-1, write_content_size=True)

    def _header(self, name: str, size: int, mode: int, is_dir: bool = False) -> bytes:
        info = tarfile.TarInfo(f"{self.top}/{name}" if name else self.top)
        info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
        info.mode = mode
        info.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
        info.size = 0 if is_dir else size
        return info.tobuf(tarfile.GNU_FORMAT, "utf-8", "strict")

    def add_dir(self, name: str) -> None:
        self.out.write(self._header(name, 0, 0o755, is_dir=True))

    def add_file(self, f: BundleFile) -> IndexEntry:
        """Write one file, compressed or raw, and describe it for index.json."""
        if worth_compressing(f):
            return self._add_compressed(f)
        return self._add_raw(f)

    def _add_raw(self, f: BundleFile) -> IndexEntry:
        size = f.size
        self.out.write(self._header(f.path, size, f.mode))
        if f.data is not None:
            self.out.write(f.data)
            digest = hashlib.sha256(f.data).hexdigest()
        elif f.sha256:
            self._copy_known(f, size)
            digest = f.sha256.removeprefix("sha256:")
        else:
            w = _HashingWriter(self.out)
            with open(f.source, "rb") as src:  # type: ignore[arg-type]
                shutil.copyfileobj(src, w, CHUNK)
            digest = w.hash.hexdigest()
        self._pad(size)
        return IndexEntry(path=f.path, size=size, sha256=digest, mode=f.mode)

    def _copy_known(self, f: BundleFile, size: int) -> None:
        """Kernel-side copy for files whose digest is already verified."""
        self.out.flush()
        out_fd = self.out.fileno()
        with open(f.source, "rb") as src:  # type: ignore[arg-type]
            left = size
            try:
                while left:
                    n = os.copy_file_range(src.fileno(), out_fd, min(left, 1 << 30))
                    if n == 0:
                        raise OSError(f"{f.source} shrank while being bundled")
                    left -= n
            except OSError as e:
                if left != size or e.errno not in (18, 22, 38, 95):  # EXDEV EINVAL ENOSYS EOPNOTSUPP
                    raise
                shutil.copyfileobj(src, self.out, CHUNK)

    def _add_compressed(self, f: BundleFile) -> IndexEntry:
        size = f.size
        name = f.path + ZST_SUFFIX
        header_at = self.out.tell()
        provisional = self._header(name, 0, f.mode)
        self.out.write(provisional)
        sink = _HashingWriter(self.out)
        content = _ContentHash(f.sha256)
        with self._cctx.stream_writer(sink, size=size, closefd=False) as z:  # type: ignore[arg-type]
            if f.data is not None:
                content.update(f.data)
                z.write(f.data)
            else:
                with open(f.source, "rb") as src:  # type: ignore[arg-type]
                    while chunk := src.read(CHUNK):
                        content.update(chunk)
                        z.write(chunk)
        end = self.out.tell()
        header = self._header(name, sink.size, f.mode)
        assert len(header) == len(provisional)
        self.out.seek(header_at)
        self.out.write(header)
        self.out.seek(end)
        self._pad(sink.size)
        return IndexEntry(path=f.path, size=sink.size, sha256=sink.hash.hexdigest(), mode=f.mode,
                          zstd=Content(size, content.hexdigest()))


    def _pad(self, size: int) -> None:
        if size % BLOCK:
            self.out.write(b"\0" * (BLOCK - size % BLOCK))

    def close(self) -> None:
        """The end-of-archive marker, padded to a whole record like tar(1) does."""
        self.out.write(b"\0" * (2 * BLOCK))
        pos = self.out.tell()
        if pos % RECORD:
            self.out.write(b"\0" * (RECORD - pos % RECORD))


class _ContentHash:
    """sha256 of the uncompressed content, skipped when the digest is already verified."""

    def __init__(self, known: str | None) -> None:
        self._known = known.removeprefix("sha256:") if known else None
        self._hash = None if known else hashlib.sha256()

    def update(self, data: bytes) -> None:
        if self._hash is not None:
            self._hash.update(data)

    def hexdigest(self) -> str:
        return self._known or self._hash.hexdigest()  # type: ignore[union-attr]
