"""The small blobs of a publish, sent together: POST /api/v1/blobs with a tar stream whose members
are the blobs named by their sha256, read straight from their places in the bundle's tarball. A
request, an fsync and a database commit per small file was most of what publishing a bundle
cost over sending its bytes (bench/hub_bench.py)."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator, Sequence
from typing import IO, Protocol

BATCH_BYTES = 32 << 20
BATCH_FILES = 500  # the hub takes up to 1,000 (hub/blob_batch.py)
BLOCK = 512


class Placed(Protocol):
    """Where a blob's bytes are in the tarball (airlift_build.publish.Member)."""

    @property
    def offset(self) -> int: ...

    @property
    def size(self) -> int: ...


def batches(blobs: Sequence[tuple[str, Placed]]) -> Iterator[list[tuple[str, Placed]]]:
    """`blobs` in groups of at most BATCH_FILES files and about BATCH_BYTES."""
    group: list[tuple[str, Placed]] = []
    size = 0
    for blob in blobs:
        if group and (len(group) == BATCH_FILES or size + blob[1].size > BATCH_BYTES):
            yield group
            group, size = [], 0
        group.append(blob)
        size += blob[1].size
    if group:
        yield group


def tar_body(tar: IO[bytes], group: list[tuple[str, Placed]], read: int) -> Iterator[bytes]:
    """The request body for `group`, generated as it is sent (chunked)."""
    for sha256, member in group:
        info = tarfile.TarInfo(sha256)
        info.size = member.size
        yield info.tobuf(format=tarfile.USTAR_FORMAT)
        tar.seek(member.offset)
        left = member.size
        while left and (chunk := tar.read(min(read, left))):
            left -= len(chunk)
            yield chunk
        if left:
            raise OSError(f"the bundle ends inside blob {sha256[:12]}…")
        yield b"\0" * (-member.size % BLOCK)
    yield b"\0" * (2 * BLOCK)
