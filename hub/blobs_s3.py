"""Blobs in an S3 bucket (`python -m hub serve --s3-bucket B [--s3-endpoint URL] [--s3-prefix P]`),
so several hub processes, on one host or several, serve one catalog from one bucket.

A blob is the object `<prefix>blobs/sha256/<hex>` with its sha256 in the metadata (hub.s3), put
with a multipart upload when big and read back as a stream. Uploads from publishers are gathered
on this process's local disk (BlobStore) and go to the bucket once complete and checked: a
publisher whose upload was cut resumes against the same hub process; reaching another one, it is
told that process's offset and goes on from there (from 0 at worst), which costs bytes, never
correctness.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from hub import s3
from hub.blobstore import BlobStore, check_sha256
from hub.s3 import S3Location


class S3BlobStore(BlobStore):
    def __init__(self, location: S3Location, uploads: Path) -> None:
        super().__init__(uploads)
        self.location = location
        self.s3 = s3.client(location)

    def check(self) -> None:
        """An AirliftError naming the bucket and endpoint when the hub cannot use them."""
        s3.check_bucket(self.s3, self.location)

    def has(self, sha256: str) -> bool:
        return s3.stored_sha256(self.s3, self.location, self._key(sha256)) is not None

    def read(self, sha256: str, start: int = 0) -> Iterator[bytes]:
        return s3.read_object(self.s3, self.location, self._key(sha256), start)

    def _keep(self, sha256: str, part: Path) -> None:
        key = self._key(sha256)
        if s3.stored_sha256(self.s3, self.location, key) != sha256:  # another hub process may have put it
            s3.put_file(self.s3, self.location, key, part, sha256)

    def _key(self, sha256: str) -> str:
        check_sha256(sha256)
        return self.location.key(f"blobs/sha256/{sha256}")
