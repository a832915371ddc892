"""Reading the bundle's OCI image layout (images/) the way the registry needs it.

The registry is filled straight from the layout's files (hard links or one streaming copy), so this
reader works with blob *files* — raw `blobs/sha256/<hex>` or zstd-stored `<hex>.zst` — rather than
streams. It lists every image by its normalised reference and every blob each image needs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import zstandard

from installer.errors import AirliftError
from installer.imageref import parse_image

REF_ANNOTATION = "org.opencontainers.image.ref.name"
INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}


@dataclass(frozen=True)
class Blob:
    """One blob as the bundle stores it."""

    digest: str      # "sha256:<hex>"
    size: int        # content size (after decompression)
    media_type: str

    @property
    def hex(self) -> str:
        return self.digest.split(":", 1)[1]


@dataclass(frozen=True)
class Image:
    """One image: where the registry serves it and every blob it needs."""

    ref: str                 # normalised, e.g. docker.io/library/hello:1.0.0
    registry: str            # docker.io
    repository: str          # library/hello
    tag: str                 # 1.0.0 ("" for a digest-only reference)
    manifest: Blob           # what the tag points at (a manifest or an index)
    manifests: tuple[Blob, ...]  # the tag's manifest plus, for an index, every child manifest
    blobs: tuple[Blob, ...]      # configs and layers


def split_ref(ref: str) -> tuple[str, str, str]:
    """(registry, repository, tag) of a reference, read as Docker and k3s read it ("" tag for a digest)."""
    image = parse_image(ref)
    return image.registry, image.repository, image.tag or ""


class OciLayout:
    """An OCI image layout folder whose blobs may be stored raw or as `<hex>.zst`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def blob_file(self, digest: str) -> tuple[Path, bool]:
        """(file, is_zstd) holding `digest`; AirliftError naming the blob when absent."""
        hex_ = digest.split(":", 1)[1]
        raw = self.root / "blobs" / "sha256" / hex_
        if raw.is_file():
            return raw, False
        packed = raw.with_name(hex_ + ".zst")
        if packed.is_file():
            return packed, True
        raise AirliftError(f"Blob {digest} is missing from {self.root}",
                           hint="Verify the bundle (./install verify) and copy it again.")

    def read_json(self, digest: str) -> dict:
        path, packed = self.blob_file(digest)
        data = path.read_bytes()
        if packed:
            data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
        return json.loads(data)

    def images(self) -> list[Image]:
        """Every tagged image of the layout's index.json, with its blobs."""
        index = json.loads((self.root / "index.json").read_text())
        images = []
        for desc in index.get("manifests", []):
            ref = desc.get("annotations", {}).get(REF_ANNOTATION)
            if not ref:
                continue
            registry, repository, tag = split_ref(ref)
            top = _blob(desc)
            manifests, blobs = self._walk(top)
            images.append(Image(ref, registry, repository, tag, top, tuple(manifests), tuple(blobs)))
        return images

    def _walk(self, top: Blob) -> tuple[list[Blob], list[Blob]]:
        manifests: list[Blob] = []
        blobs: list[Blob] = []
        pending = [top]
        while pending:
            blob = pending.pop()
            manifests.append(blob)
            doc = self.read_json(blob.digest)
            if blob.media_type in INDEX_TYPES or "manifests" in doc:
                pending.extend(_blob(child) for child in doc["manifests"])
            else:
                blobs.extend(_blob(d) for d in [doc["config"], *doc.get("layers", [])])
        return manifests, blobs


def _blob(desc: dict) -> Blob:
    return Blob(desc["digest"], int(desc["size"]), desc.get("mediaType", ""))
