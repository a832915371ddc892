"""The hub's blobs, by sha256, and the uploads that become them: one interface, BlobStore, with
the upload logic written once, and where complete blobs are kept left to its two kinds: a folder
(FolderBlobStore, here) or an S3 bucket (hub.blobs_s3.S3BlobStore).

An upload is appended to `uploads/<sha256>.part` in the hub's data folder, on local disk whatever
keeps the blobs, at the offset the hub already holds, so a publisher cut off half way asks for the
offset and sends only the rest. When the last byte is in, the hub knows the whole file's hash (taken
as the bytes arrived, or read back after a resumed upload): only bytes
whose sha256 is the name they were sent under are kept (`_keep`); anything else is thrown away and
the publisher is told. Unfinished uploads stay local because S3 cannot append to an object, and a
multipart upload's parts must be 5 MB but the last, which a cut connection does not respect.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

CHUNK = 1 << 20
SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SYNCFS = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)  # Linux (glibc, musl)


class OffsetMismatch(Exception):
    """A chunk that does not start where the upload stands."""

    def __init__(self, held: int) -> None:
        super().__init__(f"the upload stands at byte {held}")
        self.held = held


class UploadBusy(Exception):
    """Another request is writing the same upload right now."""


class DigestMismatch(Exception):
    """The complete upload hashes to another sha256 than it was sent under."""


class BlobStore(ABC):
    """Complete blobs wherever a subclass keeps them; unfinished uploads in `uploads`."""

    def __init__(self, uploads: Path) -> None:
        self.uploads = Path(uploads)
        self.uploads.mkdir(parents=True, exist_ok=True)

    @abstractmethod
    def has(self, sha256: str) -> bool:
        """Whether the store holds the complete blob."""

    @abstractmethod
    def read(self, sha256: str, start: int = 0) -> Iterator[bytes]:
        """The blob's bytes from `start` on (a resumed download starts inside a blob), chunk by
        chunk, as they come from where it is kept."""

    @abstractmethod
    def _keep(self, sha256: str, part: Path) -> None:
        """Make the checked upload `part` the blob `sha256`; `part` may be gone after."""

    def held(self, sha256: str) -> int:
        """How many bytes of an unfinished upload of `sha256` the hub holds."""
        part = self._part(sha256)
        return part.stat().st_size if part.exists() else 0

    def receive(self, sha256: str, start: int, total: int, body: IO[bytes]) -> int:
        """Append `body` at `start` of the upload of `total` bytes; returns the bytes held after.
        What arrived before a cut connection is kept for the resumed upload; the last byte in
        makes the blob (or a DigestMismatch, and the upload starts again from 0)."""
        with open(self._part(sha256), "ab") as out:
            try:
                fcntl.flock(out, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UploadBusy(sha256) from None
            held = out.tell()
            if start != held:
                raise OffsetMismatch(held)
            digest = hashlib.sha256() if start == 0 else None  # hashed as it arrives, not read back
            try:
                while held < total and (chunk := body.read(min(CHUNK, total - held))):
                    out.write(chunk)
                    if digest is not None:
                        digest.update(chunk)
                    held += len(chunk)
            finally:
                out.flush()
                os.fsync(out.fileno())
            if held == total:
                self._finish(sha256, digest)
        return held

    def receive_whole(self, files: Iterable[tuple[str, int, IO[bytes]]]) -> tuple[list[str], list[str]]:
        """Several small blobs, each sent whole in one request (sha256, size, bytes): all written,
        then synced together (sync_together), then checked and kept. Returns (kept, refused): a
        blob another request is sending is in neither, one whose bytes hash to another sha256 is
        refused. A body cut short keeps none of them (they are small,
        the publisher sends the batch again)."""
        written: list[tuple[str, IO[bytes], hashlib._Hash]] = []
        try:
            for sha256, size, body in files:
                out = open(self._part(sha256), "ab")
                try:
                    fcntl.flock(out, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    out.close()
                    _drain(body, size)
                    continue
                written.append((sha256, out, hashlib.sha256()))
                out.truncate(0)
                _copy(body, size, out, written[-1][2])
            sync_together([part for _, part, _ in written])
        except BaseException:
            for sha256, part, _ in written:
                part.close()
                self._part(sha256).unlink(missing_ok=True)
            raise
        kept, refused = [], []
        for sha256, part, digest in written:
            part.close()
            try:
                self._finish(sha256, digest)
                kept.append(sha256)
            except DigestMismatch:
                refused.append(sha256)
        return kept, refused

    def _finish(self, sha256: str, digest: hashlib._Hash | None) -> None:
        """Move a complete upload into the store once its sha256 is checked; `digest` is of the
        whole upload when it came in one request, else the part is read back and hashed."""
        part = self._part(sha256)
        if digest is None:
            digest = hashlib.sha256()
            with open(part, "rb") as f:
                while chunk := f.read(CHUNK):
                    digest.update(chunk)
        if digest.hexdigest() != sha256:
            part.unlink(missing_ok=True)
            raise DigestMismatch(f"the bytes sent hash to {digest.hexdigest()}, not {sha256}")
        self._keep(sha256, part)  # a store that fails here leaves the part for the next try
        part.unlink(missing_ok=True)

    def _part(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.uploads / f"{sha256}.part"


class FolderBlobStore(BlobStore):
    """Blobs as files `blobs/sha256/<hex>` in the hub's data folder (the default)."""

    def __init__(self, root: Path) -> None:
        super().__init__(Path(root) / "uploads")
        self.blobs = Path(root) / "blobs" / "sha256"
        self.blobs.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.blobs / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def read(self, sha256: str, start: int = 0) -> Iterator[bytes]:
        """The blob's bytes from `start` on (a resumed download starts inside a blob)."""
        with open(self.path(sha256), "rb") as f:
            f.seek(start)
            while chunk := f.read(CHUNK):
                yield chunk

    def _keep(self, sha256: str, part: Path) -> None:
        os.replace(part, self.path(sha256))


def sync_together(files: Sequence[IO[bytes]]) -> None:
    """Make the written `files`, all in one filesystem, durable with one syncfs(2) where the C
    library has it: one journal commit and one flush of the disk's cache for them all. An fsync
    each costs a flush each whatever was synced before (about 3 ms on a virtual disk; the 175 small
    files of a 500 MB bundle took 0.6 s). What else is unwritten on that filesystem (another
    upload in progress) is written too, which its own fsync would soon do. Elsewhere, an fsync each."""
    for f in files:
        f.flush()
    if _SYNCFS is None or not files:
        for f in files:
            os.fsync(f.fileno())
        return
    if _SYNCFS(files[0].fileno()) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"syncfs of the hub's uploads folder: {os.strerror(err)}")


def _copy(body: IO[bytes], size: int, out: IO[bytes], digest: hashlib._Hash) -> None:
    """`size` bytes of `body` into `out`; EOFError when the body ends before."""
    left = size
    while left and (chunk := body.read(min(CHUNK, left))):
        out.write(chunk)
        digest.update(chunk)
        left -= len(chunk)
    if left:
        raise EOFError(f"the request ended {left} bytes before the end of a blob")


def _drain(body: IO[bytes], size: int) -> None:
    while size and (chunk := body.read(min(CHUNK, size))):
        size -= len(chunk)


def check_sha256(sha256: str) -> None:
    if not SHA256.match(sha256):
        raise ValueError(f"{sha256!r} is not a sha256 in hex")
