"""What each image of the bundle consists of: its manifests and every blob they name.

The registry is filled blob by blob straight from the bundle's files, so it needs more than the
image list of images/index.json: the whole tree under each tag (an index, its child manifests,
their configs and layers). This walks that tree through the bundle reader, so the OCI layout's
paths and the zstd storage stay known in one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from installer.imageref import parse_image

INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}


@dataclass(frozen=True)
class Blob:
    """One blob an image needs (a manifest, a config or a layer)."""

    digest: str      # "sha256:<hex>"
    size: int        # content size (after decompression)
    media_type: str

    @property
    def hex(self) -> str:
        return self.digest.split(":", 1)[1]


@dataclass(frozen=True)
class ImageContent:
    """One image: where a registry serves it and every blob it needs."""

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


def image_content(ref: str, top: Blob, read_blob: Callable[[str], bytes]) -> ImageContent:
    """Walk the manifest tree under `top`, reading each manifest with `read_blob(digest)`."""
    manifests: list[Blob] = []
    blobs: list[Blob] = []
    pending = [top]
    while pending:
        blob = pending.pop()
        manifests.append(blob)
        doc = json.loads(read_blob(blob.digest))
        if blob.media_type in INDEX_TYPES or "manifests" in doc:
            pending.extend(_blob(child) for child in doc["manifests"])
        else:
            blobs.extend(_blob(d) for d in [doc["config"], *doc.get("layers", [])])
    registry, repository, tag = split_ref(ref)
    return ImageContent(ref, registry, repository, tag, top, tuple(manifests), tuple(blobs))


def _blob(desc: dict) -> Blob:
    return Blob(desc["digest"], int(desc["size"]), desc.get("mediaType", ""))
