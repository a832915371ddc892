"""The bundle's images/ folder: an OCI image layout that skopeo and other tools read.

Each blob appears once however many images use it. Manifests and configs stay raw (tools read
them directly); layers are zstd candidates unless their producer already compressed them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from airlift_build.blobstore import BlobStore
from airlift_build.files import BundleFile
from airlift_build.images import OCI_INDEX, ImageRecord, is_compressed_layer

REF_ANNOTATION = "org.opencontainers.image.ref.name"


@dataclass(frozen=True)
class DedupStats:
    unique_blobs: int
    unique_layers: int
    unique_bytes: int
    saved_bytes: int


def layout_files(records: list[ImageRecord], store: BlobStore) -> tuple[list[BundleFile], DedupStats]:
    """The files of images/ and what deduplication saved."""
    files: dict[str, BundleFile] = {}
    layers: set[str] = set()
    total = 0
    for rec in records:
        layer_digests = {layer.digest for layer in rec.layers}
        for blob in rec.blobs:
            total += blob.size
            hexpart = blob.digest.removeprefix("sha256:")
            is_layer = blob.digest in layer_digests
            if is_layer:
                layers.add(blob.digest)
            files.setdefault(hexpart, BundleFile(
                f"images/blobs/sha256/{hexpart}", source=store.path(blob.digest), sha256=blob.digest,
                compress=is_layer and not is_compressed_layer(blob.media_type),
                claim=store.claims.get(blob.digest)))
    unique = sum(store.size("sha256:" + h) for h in files)
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": r.manifest.media_type, "digest": r.manifest.digest, "size": r.manifest.size,
         "annotations": {REF_ANNOTATION: r.ref}} for r in sorted(records, key=lambda r: r.ref)]}
    meta = [BundleFile("images/oci-layout", data=_json({"imageLayoutVersion": "1.0.0"})),
            BundleFile("images/index.json", data=_json(index))]
    stats = DedupStats(len(files), len(layers), unique, total - unique)
    return meta + list(files.values()), stats


def _json(doc: dict) -> bytes:
    return (json.dumps(doc, sort_keys=True, indent=1) + "\n").encode()
