"""What the catalog pages show of a release, read from its index and blobs."""

from __future__ import annotations

import json
from dataclasses import dataclass

import zstandard
from sqlalchemy.orm import Session

from hub.blobstore import BlobStore
from hub.catalog import signature_key_id
from hub.differentials import earlier_releases, kept
from hub.models import Differential, Release
from hub.s3 import StorageError
from hub.tarstream import tar_size
from installer.bundle.index import Index
from installer.bundle.reader import IMAGES_DIR, REF_ANNOTATION

MAX_IMAGES_INDEX = 16 << 20


@dataclass(frozen=True)
class BaseOffer:
    """An earlier release this one downloads against, and its differential once made."""

    base: Release
    made: Differential | None


@dataclass(frozen=True)
class ReleaseView:
    release: Release
    index: Index
    images: list[str]
    key_id: str | None
    bases: list[BaseOffer]

    @property
    def awaiting_signature(self) -> bool:
        """A signed release with a differential the vendor has not signed (yet)."""
        return self.release.signature_json is not None and \
            any(o.made is None or o.made.signature_json is None for o in self.bases)

    @property
    def full_size(self) -> int:
        """The full bundle tarball's length, as its download gives it."""
        return tar_size(self.index, self.release.index_json, self.release.signature_json)

    @property
    def channels(self) -> list[str]:
        return sorted(p.channel.name for p in self.release.promotions)


def release_view(db: Session, release: Release, store: BlobStore) -> ReleaseView:
    index = Index.from_json(release.index_json)
    made = kept(db, release)
    bases = [BaseOffer(base, made.get(base.id)) for base in earlier_releases(db, release)]
    return ReleaseView(release, index, _images(index, store), signature_key_id(release), bases)


def _images(index: Index, store: BlobStore) -> list[str]:
    """The image references the bundle carries (its images/index.json), [] when unreadable."""
    entry = next((e for e in index.files if e.path == f"{IMAGES_DIR}/index.json"), None)
    try:
        if entry is None or entry.size > MAX_IMAGES_INDEX or not store.has(entry.sha256):
            return []
        data = b"".join(store.read(entry.sha256))
        if entry.zstd:
            data = zstandard.ZstdDecompressor().decompress(data, max_output_size=MAX_IMAGES_INDEX)
        manifests = json.loads(data).get("manifests", [])
        return sorted(str(m["annotations"][REF_ANNOTATION]) for m in manifests)
    except (ValueError, KeyError, TypeError, zstandard.ZstdError, StorageError):
        return []


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB"):
        if size < 1000:
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"
