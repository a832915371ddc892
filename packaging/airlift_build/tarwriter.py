"""A deterministic tar writer: members in the order given, bytes as `airlift_build.prepare` made them.

Entries carry fixed metadata (mtime 0, uid/gid 0, no owner names, modes 0644/0755), so the
same inputs give the same bytes. A compressed member's size is only known after compressing,
so its header is written first with size 0 and rewritten in place afterwards: each byte
is compressed once, straight into the output.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import tarfile
from pathlib import Path
from typing import BinaryIO

from airlift_build.prepare import CHUNK, Preparation, Stored, source_state
from installer.bundle.index import ZST_SUFFIX, IndexEntry
from installer.errors import AirliftError

BLOCK = 512
RECORD = 20 * BLOCK
# copy_file_range cannot serve this output or these files: copy through user space instead.
NO_KERNEL_COPY = (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP)


class DeterministicTar:
    """Writes members under one top folder; returns index entries for the files it writes."""

    def __init__(self, out: BinaryIO, top: str) -> None:
        self.out = out
        self.top = top

    def _header(self, name: str, size: int, mode: int, is_dir: bool = False) -> bytes:
        info = tarfile.TarInfo(f"{self.top}/{name}" if name else self.top)
        info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
        info.mode = mode
        info.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
        info.size = 0 if is_dir else size
        return info.tobuf(tarfile.GNU_FORMAT, "utf-8", "strict")

    def add_dir(self, name: str) -> None:
        self.out.write(self._header(name, 0, 0o755, is_dir=True))

    def add(self, prep: Preparation) -> IndexEntry:
        """Write one prepared file, compressed or raw, and describe it for index.json."""
        f = prep.file
        kind = prep.kind()
        if kind == "zstd":
            return self._add_compressed(prep)
        size = f.size
        self.out.write(self._header(f.path, size, f.mode))
        if kind == "kernel":
            assert f.source is not None
            self._copy_in_kernel(f.source, size)
            list(prep.chunks())
            if source_state(f.source) != _stored(prep).source_state:
                raise AirliftError(f"{f.source} changed while the bundle was written",
                                   hint="build again once nothing writes to the build's input files")
        else:
            for chunk in prep.chunks():
                self.out.write(chunk)
        stored = _stored(prep)
        self._pad(size)
        return IndexEntry(path=f.path, size=size, sha256=stored.sha256, mode=f.mode)

    def _copy_in_kernel(self, source: Path, size: int) -> None:
        """Copy a raw file without reading it into this process (a worker hashes it meanwhile)."""
        self.out.flush()
        with open(source, "rb") as src:
            left = size
            try:
                out_fd = self.out.fileno()
                while left:
                    n = os.copy_file_range(src.fileno(), out_fd, min(left, 1 << 30))
                    if n == 0:
                        raise AirliftError(f"{source} shrank while the bundle was written",
                                           hint="build again once nothing writes to the build's input files")
                    left -= n
            except (io.UnsupportedOperation, OSError) as e:
                if left != size or (not isinstance(e, io.UnsupportedOperation) and e.errno not in NO_KERNEL_COPY):
                    raise
                shutil.copyfileobj(src, self.out, CHUNK)

    def _add_compressed(self, prep: Preparation) -> IndexEntry:
        f = prep.file
        name = f.path + ZST_SUFFIX
        header_at = self.out.tell()
        provisional = self._header(name, 0, f.mode)
        self.out.write(provisional)
        for chunk in prep.chunks():
            self.out.write(chunk)
        stored = _stored(prep)
        end = self.out.tell()
        header = self._header(name, stored.size, f.mode)
        assert len(header) == len(provisional)
        self.out.seek(header_at)
        self.out.write(header)
        self.out.seek(end)
        self._pad(stored.size)
        return IndexEntry(path=f.path, size=stored.size, sha256=stored.sha256, mode=f.mode,
                          zstd=stored.content)

    def _pad(self, size: int) -> None:
        if size % BLOCK:
            self.out.write(b"\0" * (BLOCK - size % BLOCK))

    def close(self) -> None:
        """The end-of-archive marker, padded to a whole record like tar(1) does."""
        self.out.write(b"\0" * (2 * BLOCK))
        pos = self.out.tell()
        if pos % RECORD:
            self.out.write(b"\0" * (RECORD - pos % RECORD))


def _stored(prep: Preparation) -> Stored:
    assert prep.stored is not None
    return prep.stored
