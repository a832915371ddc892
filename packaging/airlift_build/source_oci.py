"""Images from an OCI image layout on disk (`--source oci:DIR`), for offline build machines."""

from __future__ import annotations

import json
from pathlib import Path

from airlift_build.blobstore import BlobStore
from airlift_build.images import (
    INDEX_TYPES,
    Descriptor,
    ImageRecord,
    parse_manifest,
    pick_platform,
    record_from_manifest,
)
from airlift_build.source_base import ByteProgress, SourceUnavailable
from installer.errors import AirliftError
from installer.imageref import normalize_image

REF_ANNOTATION = "org.opencontainers.image.ref.name"


class OciLayoutSource:
    """Finds images by their `org.opencontainers.image.ref.name` annotation, compared normalised."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.name = f"oci:{root}"
        self._refs: dict[str, dict] | None = None

    def _index(self) -> dict[str, dict]:
        if self._refs is None:
            try:
                index = json.loads((self.root / "index.json").read_bytes())
            except (OSError, ValueError) as e:
                raise SourceUnavailable(f"{self.name}: not a readable OCI image layout ({e})",
                                        hint="give the folder that holds oci-layout and index.json") from None
            self._refs = {}
            for d in index.get("manifests", []):
                name = d.get("annotations", {}).get(REF_ANNOTATION)
                if name:
                    self._refs[_normalize_or_self(name)] = d
        return self._refs

    def _blob(self, digest: str) -> Path:
        algo, _, hexpart = digest.partition(":")
        return self.root / "blobs" / algo / hexpart

    def fetch(self, ref: str, store: BlobStore, progress: ByteProgress) -> ImageRecord | None:
        desc = self._index().get(ref)
        if desc is None:
            return None
        media_type, doc = parse_manifest(self._read(desc["digest"]), desc.get("mediaType"))
        if media_type in INDEX_TYPES:
            desc = pick_platform(doc)
            if desc is None:
                raise SourceUnavailable(f"{self.name}: {ref} has no linux/amd64 image")
            media_type, doc = parse_manifest(self._read(desc["digest"]), desc.get("mediaType"))
        manifest = Descriptor(media_type, desc["digest"], int(desc["size"]))
        record = record_from_manifest(ref, manifest, doc, self.name)
        for blob in record.blobs:
            if not self._blob(blob.digest).is_file():
                raise SourceUnavailable(f"{self.name}: blob {blob.digest} of {ref} is missing",
                                        hint="the layout is incomplete; re-export the image")
        # Linked, not hashed: the bundle writer checks each digest as it reads the blob.
        for blob in record.blobs:
            store.put_file(self._blob(blob.digest), blob.digest, f"{self.name} ({ref})", progress)
        return record

    def _read(self, digest: str) -> bytes:
        try:
            return self._blob(digest).read_bytes()
        except OSError as e:
            raise SourceUnavailable(f"{self.name}: cannot read blob {digest} ({e})") from None


def _normalize_or_self(name: str) -> str:
    """Layouts may name images by short refs ("nginx:1") or full ones; compare them normalised."""
    try:
        return normalize_image(name)
    except AirliftError:
        return name
