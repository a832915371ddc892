"""Fill the registry's filesystem storage straight from the bundle's image files.

Pushing every byte through the registry's HTTP API is slow and big pushes are known to hang, while
distribution's filesystem storage is plain files. Each blob lands at
`docker/registry/v2/blobs/sha256/<hh>/<hex>/data` by a hard link when it is stored raw on the same
filesystem, otherwise by one streaming copy that decompresses `.zst` on the fly: bytes are copied at
most once and never recompressed. Repository links (no trailing newline) make the blobs and tags
visible. Every write is atomic, so a crash leaves no half blob and a second run is a no-op.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import zstandard

from installer.bundle import Blob, Bundle, ImageContent

Progress = Callable[[int, int], None]
CHUNK = 1 << 20


def v2_root(storage: Path) -> Path:
    return storage / "docker" / "registry" / "v2"


def unique_blobs(images: Iterable[ImageContent]) -> list[Blob]:
    """Every blob and manifest the images need, each once."""
    seen: dict[str, Blob] = {}
    for image in images:
        for blob in (*image.manifests, *image.blobs):
            seen.setdefault(blob.digest, blob)
    return list(seen.values())


def blob_data(storage: Path, blob: Blob) -> Path:
    """Where distribution's filesystem storage keeps a blob's bytes."""
    return content_path(storage, blob.hex)


def content_path(storage: Path, sha256: str) -> Path:
    """Where distribution's filesystem storage keeps the blob whose content has this sha256 (hex)."""
    return v2_root(storage) / "blobs" / "sha256" / sha256[:2] / sha256 / "data"


def _missing(storage: Path, blobs: Iterable[Blob]) -> list[Blob]:
    return [b for b in blobs if not _complete(blob_data(storage, b), b)]


def missing_bytes(bundle: Bundle, storage: Path) -> int:
    """The bytes `populate` would write: those of the blobs the storage does not hold yet (an
    upgrade's new images; the rest of an install's after a crash)."""
    return sum(b.size for b in _missing(storage, unique_blobs(bundle.image_contents())))


def populate(bundle: Bundle, storage: Path, progress: Progress | None = None) -> None:
    """Write every image of `bundle` into the registry storage at `storage`: only the blobs it
    does not hold yet are read (an upgrade's bundle may not even carry the others), then every
    image's links."""
    images = bundle.image_contents()
    blobs = _missing(storage, unique_blobs(images))
    total, done = sum(b.size for b in blobs), 0
    for blob in blobs:
        place_blob(bundle, blob, blob_data(storage, blob))
        done += blob.size
        if progress:
            progress(done, total)
    root = v2_root(storage)
    for image in images:
        write_links(root / "repositories" / image.repository, image)


def _complete(dest: Path, blob: Blob) -> bool:
    return dest.is_file() and dest.stat().st_size == blob.size


def place_blob(bundle: Bundle, blob: Blob, dest: Path) -> None:
    """Hard link or stream `blob` to `dest`; an existing complete `dest` is kept."""
    if _complete(dest, blob):
        return
    stored = bundle.blob_location(blob.digest)
    source, packed = stored.path, stored.compressed
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not packed and _try_link(source, dest):
        return
    fd, tmp = tempfile.mkstemp(prefix=".data.", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            if packed:
                zstandard.ZstdDecompressor().copy_stream(src, out, read_size=CHUNK, write_size=CHUNK)
            else:
                _copy_in_kernel(src.fileno(), out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _copy_in_kernel(src: int, dst: int) -> None:
    """Copy a whole file without passing it through user space (what `cp` does)."""
    try:
        while os.copy_file_range(src, dst, 1 << 30):
            pass
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise
        while os.sendfile(dst, src, None, 1 << 30):
            pass


def _try_link(source: Path, dest: Path) -> bool:
    """Hard link `source` to `dest` atomically; False when they are on different filesystems."""
    tmp = dest.with_name(f".link.{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError as exc:
        if exc.errno in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            return False
        raise
    os.replace(tmp, dest)
    return True


def write_links(repo: Path, image: ImageContent) -> None:
    """The repository's layer, manifest-revision and tag links for one image."""
    for blob in image.blobs:
        _link(repo / "_layers" / "sha256" / blob.hex / "link", blob.digest)
    for manifest in image.manifests:
        _link(repo / "_manifests" / "revisions" / "sha256" / manifest.hex / "link", manifest.digest)
    if image.tag:
        tag_dir = repo / "_manifests" / "tags" / image.tag
        _link(tag_dir / "current" / "link", image.manifest.digest)
        _link(tag_dir / "index" / "sha256" / image.manifest.hex / "link", image.manifest.digest)


def _link(path: Path, digest: str) -> None:
    if path.is_file() and path.read_text() == digest:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".link.{os.getpid()}")
    tmp.write_text(digest)
    os.replace(tmp, path)
