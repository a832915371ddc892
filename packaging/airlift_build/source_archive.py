"""Images from a docker-archive tarball (`--source docker-archive:FILE`, or `docker save`).

The archive is read once, as a stream: layers go straight into the blob store (hashed while
written), small files stay in memory, and manifest.json — last in `docker save` output — ties
them together. Each image becomes an OCI manifest over the uncompressed layers, whose digests
are the config's diff_ids, so the result is a valid image any registry serves.
"""

from __future__ import annotations

import json
import posixpath
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from airlift_build.blobstore import BlobStore
from airlift_build.images import OCI_CONFIG, OCI_LAYER, OCI_LAYER_GZIP, OCI_MANIFEST, Descriptor, ImageRecord
from airlift_build.source_base import ByteProgress, SourceUnavailable
from installer.imageref import normalize_image

IN_MEMORY_MAX = 1 << 16
GZIP_MAGIC = b"\x1f\x8b"


def read_archive(stream: IO[bytes], store: BlobStore, origin: str,
                 progress: ByteProgress) -> list[tuple[list[str], ImageRecord]]:
    """Every image of a docker-archive stream as (its normalised tags, record)."""
    small: dict[str, bytes] = {}
    stored: dict[str, str] = {}
    links: dict[str, str] = {}
    try:
        with tarfile.open(fileobj=stream, mode="r|*") as tar:  # plain or gzip (docker save | gzip)
            for m in tar:
                if m.issym():
                    links[m.name] = posixpath.normpath(posixpath.join(posixpath.dirname(m.name), m.linkname))
                elif m.isfile():
                    f = tar.extractfile(m)
                    assert f is not None
                    if m.size <= IN_MEMORY_MAX and not m.name.endswith(".tar"):
                        small[m.name] = f.read()
                    else:
                        stored[m.name] = store.put_stream(f.read, None, origin, progress)
    except tarfile.TarError as e:
        raise SourceUnavailable(f"{origin}: not a readable docker-archive ({e})") from None
    if "manifest.json" not in small:
        raise SourceUnavailable(f"{origin}: no manifest.json; not a docker-archive",
                                hint="create it with `docker save IMAGE -o FILE`")

    def blob(name: str) -> str:
        name = links.get(name, name)
        if name in small:
            return store.put_bytes(small[name], origin=origin)
        if name in stored:
            return stored[name]
        raise SourceUnavailable(f"{origin}: {name} is listed in manifest.json but missing")

    return [_record(entry, blob, store, origin) for entry in json.loads(small["manifest.json"])]


def _record(entry: dict, blob: Callable[[str], str], store: BlobStore, origin: str) -> tuple[list[str], ImageRecord]:
    config_digest = blob(entry["Config"])
    config = json.loads(store.path(config_digest).read_bytes())
    diff_ids = config.get("rootfs", {}).get("diff_ids", [])
    layers = []
    for i, name in enumerate(entry["Layers"]):
        digest = blob(name)
        media_type = OCI_LAYER
        if i < len(diff_ids) and digest != diff_ids[i]:
            with open(store.path(digest), "rb") as f:
                if f.read(2) != GZIP_MAGIC:
                    raise SourceUnavailable(f"{origin}: layer {name} does not match the image's diff_ids")
            media_type = OCI_LAYER_GZIP
        layers.append(Descriptor(media_type, digest, store.size(digest)))
    cfg = Descriptor(OCI_CONFIG, config_digest, store.size(config_digest))
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": _desc(cfg), "layers": [_desc(layer) for layer in layers]}
    data = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    mdesc = Descriptor(OCI_MANIFEST, store.put_bytes(data, origin=origin), len(data))
    tags = [normalize_image(t) for t in entry.get("RepoTags") or []]
    return tags, ImageRecord(ref=tags[0] if tags else "", manifest=mdesc, config=cfg, layers=layers,
                             source=origin)


def _desc(d: Descriptor) -> dict:
    return {"mediaType": d.media_type, "digest": d.digest, "size": d.size}


class DockerArchiveSource:
    """A docker-archive file on disk; read once, on the first image asked of it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"docker-archive:{path}"
        self._images: dict[str, ImageRecord] | None = None

    def fetch(self, ref: str, store: BlobStore, progress: ByteProgress) -> ImageRecord | None:
        if self._images is None:
            try:
                with open(self.path, "rb") as f:
                    found = read_archive(f, store, self.name, progress)
            except OSError as e:
                raise SourceUnavailable(f"{self.name}: cannot read ({e.strerror})") from None
            self._images = {tag: rec for tags, rec in found for tag in tags}
        rec = self._images.get(ref)
        if rec is None:
            return None
        return ImageRecord(ref=ref, manifest=rec.manifest, config=rec.config, layers=rec.layers,
                           source=self.name)
