"""What the build knows about an image once fetched: its manifest and the blobs it needs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
PLATFORM = {"os": "linux", "architecture": "amd64"}
# Layers already compressed by their producer gain nothing from zstd.
COMPRESSED_LAYER_SUFFIXES = ("+gzip", "+zstd", ".gzip", ".zstd")


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int


@dataclass
class ImageRecord:
    """One fetched image: reference, manifest descriptor, and config + layer descriptors."""

    ref: str
    manifest: Descriptor
    config: Descriptor
    layers: list[Descriptor] = field(default_factory=list)
    source: str = ""

    @property
    def blobs(self) -> list[Descriptor]:
        """Every blob the image needs, manifest included."""
        return [self.manifest, self.config, *self.layers]


def parse_manifest(data: bytes, media_type: str | None = None) -> tuple[str, dict]:
    """The manifest's media type (from the document or the transport) and the parsed document."""
    doc = json.loads(data)
    return doc.get("mediaType") or media_type or OCI_MANIFEST, doc


def record_from_manifest(ref: str, manifest: Descriptor, doc: dict, source: str) -> ImageRecord:
    """Build an ImageRecord from a single-platform image manifest."""
    def desc(d: dict) -> Descriptor:
        return Descriptor(d["mediaType"], d["digest"], int(d["size"]))

    return ImageRecord(ref=ref, manifest=manifest, config=desc(doc["config"]),
                       layers=[desc(layer) for layer in doc.get("layers", [])], source=source)


def pick_platform(index: dict) -> dict | None:
    """The linux/amd64 entry of an image index (the platform Airlift installs on)."""
    entries: list[dict] = index.get("manifests", [])
    for d in entries:
        p = d.get("platform", {})
        if p.get("os") == PLATFORM["os"] and p.get("architecture") == PLATFORM["architecture"]:
            return d
    return None


def is_compressed_layer(media_type: str) -> bool:
    return media_type.endswith(COMPRESSED_LAYER_SUFFIXES)
