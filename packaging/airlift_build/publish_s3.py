"""`build.py … --publish s3://BUCKET/PREFIX/ [--s3-endpoint URL]`: put the built bundle where
anyone with read access can download and verify it, no hub needed.

Three objects, each with the sha256 of its bytes in its metadata (hub.s3):
  PREFIX/<name>-<version>.tar               the bundle, byte for byte (multipart, with progress)
  PREFIX/<name>-<version>/signature.json    when the bundle is signed
  PREFIX/<name>-<version>/index.json        written last: once it is there, the release is whole
A downloader fetches the index (and signature) first to see what it is about to get, then the
tarball; `./install verify` in the unpacked bundle checks every file and the signature.

Content-addressed: an object already holding the same sha256 is not sent again, so publishing
twice costs three HEAD requests. Versions are immutable as on the hub: an object holding other
bytes under the same name is a refusal, before anything is sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airlift_build.publish import SIGNATURE_NAME, read_tar
from hub import s3
from hub.s3 import S3Location
from installer.bundle.index import INDEX_NAME, Index
from installer.errors import AirliftError

READ = 1 << 20


@dataclass(frozen=True)
class S3Object:
    name: str  # relative to the prefix
    sha256: str
    size: int
    source: Path | bytes
    content_type: str


@dataclass(frozen=True)
class S3Published:
    name: str
    version: str
    urls: list[str]        # s3://… of every object, the tarball first
    http_urls: list[str]   # the same objects by HTTP(S), path style
    sent: list[str]        # the names actually sent (the others were there already)
    sent_bytes: int


def bundle_objects(path: Path) -> tuple[Index, list[S3Object]]:
    """The objects a bundle becomes, in the order they are written (the index last)."""
    bundle = read_tar(path)
    try:
        index = Index.from_json(bundle.index_bytes)
    except (ValueError, KeyError, TypeError) as e:
        raise AirliftError(f"{path}: its index.json cannot be read ({e})") from None
    top = f"{index.name}-{index.version}"
    objects = [S3Object(f"{top}.tar", _file_sha256(path), path.stat().st_size, path, "application/x-tar")]
    if bundle.signature is not None:
        objects.append(_small(f"{top}/{SIGNATURE_NAME}", bundle.signature))
    objects.append(_small(f"{top}/{INDEX_NAME}", bundle.index_bytes))
    return index, objects


def publish_to_s3(location: S3Location, path: Path, progress: Callable[[int], None] | None = None,
                  client: Any = None) -> S3Published:
    """Write the bundle at `path` under `location`; `progress` gets the tarball's bytes as sent."""
    index, objects = bundle_objects(path)
    client = client or s3.client(location)
    s3.check_bucket(client, location)
    held = {o.name: s3.stored_sha256(client, location, location.key(o.name)) for o in objects}
    for o in objects:
        if held[o.name] not in (None, o.sha256):
            raise AirliftError(f"{location.url(o.name)} already holds other bytes (sha256 {held[o.name] or 'unknown'}, "
                               f"not {o.sha256}); nothing was sent",
                               hint=f"a published version never changes: give the build a new version "
                                    f"(--version), or delete the objects under {location.url(index.name)}-"
                                    f"{index.version}* first")
    sent = [o for o in objects if held[o.name] is None]
    for o in sent:
        _put(client, location, o, progress)
    return S3Published(index.name, index.version, [location.url(o.name) for o in objects],
                       [s3.http_url(client, location, o.name) for o in objects], [o.name for o in sent],
                       sum(o.size for o in sent))


def _put(client: Any, location: S3Location, o: S3Object, progress: Callable[[int], None] | None) -> None:
    key = location.key(o.name)
    if isinstance(o.source, Path):
        s3.put_file(client, location, key, o.source, o.sha256, progress, o.content_type)
    else:
        s3.put_bytes(client, location, key, o.source, o.sha256, o.content_type)


def _small(name: str, data: bytes) -> S3Object:
    return S3Object(name, hashlib.sha256(data).hexdigest(), len(data), data, "application/json")


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(READ):
            digest.update(chunk)
    return digest.hexdigest()
