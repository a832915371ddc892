"""A content-addressed store of blobs, each verified by sha256 as it is written.

Images fetched from any source land here once per digest, so a layer shared by ten images is
stored (and later bundled) once. A blob whose bytes do not match the digest its source
announced is refused before it can reach a bundle.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from installer.errors import AirliftError

CHUNK = 1 << 20


class DigestMismatch(AirliftError):
    """A source delivered bytes that do not match the digest it announced."""


class BlobWriter:
    """Streams one blob into the store, hashing as it goes; commit() verifies and publishes it."""

    def __init__(self, store: BlobStore, expected: str | None, origin: str) -> None:
        self._store = store
        self._expected = expected
        self._origin = origin
        fd, name = tempfile.mkstemp(dir=store.tmp_dir, prefix="blob-")
        self._file = os.fdopen(fd, "wb")
        self._tmp = Path(name)
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)

    def commit(self) -> str:
        """Verify the digest and move the blob into place; returns "sha256:<hex>"."""
        self._file.close()
        digest = "sha256:" + self._hash.hexdigest()
        if self._expected and digest != self._expected:
            self._tmp.unlink()
            raise DigestMismatch(
                f"Blob {self._expected} from {self._origin} arrived with digest {digest}",
                hint="the source holds damaged data; re-push or re-save the image and build again")
        os.replace(self._tmp, self._store.path(digest))
        return digest

    def abort(self) -> None:
        self._file.close()
        self._tmp.unlink(missing_ok=True)


class BlobStore:
    """Blobs under <root>/sha256/<hex>; temporary files under <root>/tmp."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp_dir = root / "tmp"
        (root / "sha256").mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(exist_ok=True)

    def path(self, digest: str) -> Path:
        algo, _, hexpart = digest.partition(":")
        if algo != "sha256" or len(hexpart) != 64:
            raise AirliftError(f"Unsupported blob digest {digest!r}", hint="only sha256 digests are supported")
        return self.root / "sha256" / hexpart

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def size(self, digest: str) -> int:
        return self.path(digest).stat().st_size

    def writer(self, expected: str | None, origin: str) -> BlobWriter:
        return BlobWriter(self, expected, origin)

    def put_bytes(self, data: bytes, expected: str | None = None, origin: str = "memory") -> str:
        w = self.writer(expected, origin)
        w.write(data)
        return w.commit()

    def put_stream(self, read: Callable[[int], bytes], expected: str | None, origin: str,
                   progress: Callable[[int], None] | None = None) -> str:
        """Copy a stream into the store; progress(n) is called with each chunk's size."""
        w = self.writer(expected, origin)
        try:
            while chunk := read(CHUNK):
                w.write(chunk)
                if progress:
                    progress(len(chunk))
            return w.commit()
        except BaseException:
            w.abort()
            raise

    def put_file(self, src: Path, expected: str, origin: str,
                 progress: Callable[[int], None] | None = None) -> str:
        """Add a file from disk: hard-linked when on the same filesystem, else copied; always hashed."""
        if self.has(expected):
            return expected
        digest = hashlib.sha256()
        with open(src, "rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
                if progress:
                    progress(len(chunk))
        if "sha256:" + digest.hexdigest() != expected:
            raise DigestMismatch(f"Blob {expected} in {origin} has digest sha256:{digest.hexdigest()}",
                                 hint=f"the file {src} is damaged; rebuild or re-save the image")
        try:
            os.link(src, self.path(expected))
        except OSError:
            with open(src, "rb") as f:
                self.put_stream(f.read, expected, origin)
        return expected
