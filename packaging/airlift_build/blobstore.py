"""A content-addressed store of blobs, each verified by sha256 before it can reach a bundle.

Images fetched from any source land here once per digest, so a layer shared by ten images is
stored (and later bundled) once. A blob streamed in is hashed as it is written; a file taken
from disk as it is (an OCI layout's blob) keeps its source's claim, which the bundle writer
checks as it reads the bytes, so each byte is hashed once. Either way a blob whose bytes do not
match the digest its source announced never reaches a bundle.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from airlift_build.files import Claim
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
        self._store.claims.pop(digest, None)
        return digest

    def abort(self) -> None:
        self._file.close()
        self._tmp.unlink(missing_ok=True)


class BlobStore:
    """Blobs under <root>/sha256/<hex>; temporary files under <root>/tmp."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp_dir = root / "tmp"
        self.claims: dict[str, Claim] = {}  # digest -> who announced a blob nobody has hashed yet
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
        """Add a file from disk by the digest its source announced: hard-linked when on the same
        filesystem, else copied. It is not hashed here: `claims` keeps the claim for the bundle
        writer, which hashes the bytes as it reads them and refuses a mismatch."""
        if self.has(expected):
            return expected
        dest = self.path(expected)
        try:
            os.link(src, dest)
        except FileExistsError:
            pass
        except OSError:
            fd, tmp = tempfile.mkstemp(dir=self.tmp_dir, prefix="blob-")
            os.close(fd)
            try:
                shutil.copyfile(src, tmp)
                os.replace(tmp, dest)
            finally:
                Path(tmp).unlink(missing_ok=True)
        self.claims.setdefault(expected, Claim(origin, src))
        if progress:
            progress(dest.stat().st_size)
        return expected
