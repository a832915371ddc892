"""Where a differential bundle's left-out files are: in the base bundle the cluster installed.

A differential bundle (index.json names a `base`) omits the image blobs and runtime files its
base already had; their entries (`from_base: true`) keep the base's stored size and sha256, and
`zstd` when the base stored them compressed. A `BaseFiles` finds such a file's bytes wherever the
base is kept, so `Bundle` reads and verifies it as if the bundle carried it:

- `FolderBase`: the base bundle, unpacked (its stored paths, as in any bundle folder);
- `DigestBase`: content-addressed copies on the installed cluster, found by digest: the stored
  bytes by the entry's sha256 (the `<state>/blobs` store the first master keeps the runtime in),
  or the decompressed content by its sha256 (the registry's storage holds image blobs so).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from installer.bundle.index import Index, IndexEntry


@dataclass(frozen=True)
class BlobLocation:
    """Where a file's bytes are on disk, and whether they are a zstd frame to decompress."""

    path: Path
    compressed: bool
    size: int


class BaseFiles(Protocol):
    """Finds the bytes of a file a differential bundle expects from its base."""

    def locate(self, entry: IndexEntry) -> BlobLocation | None:
        """Where the base keeps `entry`'s bytes, or None when it has no copy."""
        ...


@dataclass(frozen=True)
class FolderBase:
    """The base bundle unpacked in `root`."""

    root: Path

    def locate(self, entry: IndexEntry) -> BlobLocation | None:
        path = self.root / entry.stored_path
        return BlobLocation(path, entry.zstd is not None, entry.size) if path.is_file() else None


@dataclass(frozen=True)
class DigestBase:
    """Copies kept by digest: `stored(sha256)` is where the stored bytes would be, `content(sha256)`
    where the decompressed content would be (either may name a file that does not exist)."""

    stored: Callable[[str], Path]
    content: Callable[[str], Path]

    def locate(self, entry: IndexEntry) -> BlobLocation | None:
        path = self.stored(entry.sha256)
        if path.is_file():
            return BlobLocation(path, entry.zstd is not None, entry.size)
        path = self.content(entry.content_sha256)
        return BlobLocation(path, False, entry.content_size) if path.is_file() else None


def describe_base(index: Index) -> str:
    """One line for the operator: what a differential bundle expects from its base."""
    assert index.base is not None
    expected = index.from_base
    size = sum(e.content_size for e in expected)
    return (f"it is differential: it expects {len(expected)} files ({_mb(size)}) from the installed "
            f"{index.base.name} {index.base.version} (base index sha256 {index.base.index_sha256[:12]}…), "
            f"so it upgrades only a cluster running that version")


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
