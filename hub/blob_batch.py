"""POST /api/v1/blobs: a publisher's small blobs in one request, as a tar stream whose members
are named by their sha256, so each small file of a bundle costs bytes, not a request, an fsync
and a database commit of its own (hub.blobstore.BlobStore.receive_whole)."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from typing import IO

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.blobstore import SHA256, BlobStore
from hub.catalog import missing_blobs
from hub.models import Blob

MAX_FILES = 1000


class BatchRefused(Exception):
    """A body that is not a tar stream of blobs named by their sha256."""


def tar_blobs(stream: IO[bytes], sizes: dict[str, int]) -> Iterator[tuple[str, int, IO[bytes]]]:
    """(sha256, size, bytes) of each member of the tar `stream`, read as it arrives; each size
    is recorded in `sizes`."""
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                body = tar.extractfile(member) if member.isfile() else None
                if body is None or not SHA256.match(member.name) or member.name in sizes:
                    raise BatchRefused(f"tar member {member.name!r} is not a file named by its sha256 (once)")
                if len(sizes) == MAX_FILES:
                    raise BatchRefused(f"a batch holds at most {MAX_FILES} blobs")
                sizes[member.name] = member.size
                yield member.name, member.size, body
    except tarfile.ReadError as e:
        raise BatchRefused(f"the body is not a tar stream ({e})") from None


def receive(db: Session, store: BlobStore, stream: IO[bytes]) -> tuple[list[str], list[str], int]:
    """Take the batch: (kept, refused, bytes received). Kept blobs are recorded in one commit."""
    sizes: dict[str, int] = {}
    try:
        kept, refused = store.receive_whole(tar_blobs(stream, sizes))
    except tarfile.ReadError as e:  # raised by a member's bytes, read outside tar_blobs
        raise BatchRefused(f"the tar stream ends or breaks inside a blob ({e})") from None
    new = missing_blobs(db, kept)
    db.add_all(Blob(sha256=sha256, size=sizes[sha256]) for sha256 in new)
    try:
        db.commit()
    except IntegrityError:  # another request recorded one of them meanwhile: one by one
        db.rollback()
        for sha256 in missing_blobs(db, new):
            db.add(Blob(sha256=sha256, size=sizes[sha256]))
            try:
                db.commit()
            except IntegrityError:
                db.rollback()
    return kept, refused, sum(sizes.values())
