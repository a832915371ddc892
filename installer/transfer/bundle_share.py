"""Which bundle files travel to a node, and how they enter and leave the blob store.

Why the stored bytes travel: the LAN carries each file as the bundle stores it (zstd where it
compresses), keyed by the sha256 index.json gives for those bytes, so fewer bytes move and every
node checks them against the same index. A node decompresses when it uses a file, exactly as the
first node does. Putting the bundle into the first node's store hard-links, reading nothing; a
file a differential bundle left out is in that store already (installer/cluster_service/kept.py).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from installer.bundle import Bundle
from installer.bundle.index import is_safe_relative
from installer.errors import AirliftError
from installer.transfer.store import BlobStore

# What every other node needs of the bundle: the runtime (the registry runs on the first master).
NODE_PREFIXES = ["runtime/k3s"]


@dataclass(frozen=True)
class SharedFile:
    """One bundle file as it travels: its logical path, where it is stored in the bundle and its
    stored sha256."""

    path: str
    stored_path: str
    sha256: str
    size: int
    mode: int


def shared_files(bundle: Bundle, prefixes: list[str]) -> list[SharedFile]:
    """The files under any of `prefixes` (e.g. "runtime/", "images/"), in index order, which is
    the same on every node."""
    return [SharedFile(e.path, e.stored_path, e.sha256, e.size, e.mode)
            for e in bundle.files() if any(e.path.startswith(p) for p in prefixes)]


def wanted(files: list[SharedFile]) -> list[tuple[str, int]]:
    """The distinct blobs to fetch for `files`, as (digest, size) in order (identical files
    travel once)."""
    seen: dict[str, int] = {}
    for f in files:
        seen.setdefault(f.sha256, f.size)
    return list(seen.items())


def seed_store(store: BlobStore, bundle: Bundle, files: list[SharedFile]) -> None:
    """Make the first node's store serve `files` straight from the (verified) bundle, as the
    bundle reader finds their stored bytes."""
    for f in files:
        if store.has(f.sha256):
            continue
        loc = bundle.location(f.path)
        if loc.size != f.size:
            raise AirliftError(f"Blob sha256:{f.sha256} ({f.stored_path}) is missing from {store.root}",
                               hint="the site keeps the runtime files of its installed version there; restore "
                                    "the state directory from a backup, or upgrade with the full bundle")
        store.adopt(f.sha256, loc.path)


def place(store: BlobStore, files: list[SharedFile], dest: Path) -> None:
    """Lay received files out under `dest` as the bundle stores them (hard links from the
    store, copies across filesystems), with the index's modes, replacing what an older version
    left at the same path (an upgrade's runtime)."""
    for f in files:
        if not is_safe_relative(f.stored_path):
            raise AirliftError(f"Refusing to place bundle file {f.stored_path!r}: not a plain relative path.",
                               hint="The bundle index is damaged; copy the bundle again.")
        source, target = store.path(f.sha256), dest / f.stored_path
        if not source.is_file():
            raise AirliftError(f"Blob sha256:{f.sha256} for {f.stored_path} has not been received.",
                               hint="Run the distribution step again; it resumes where it stopped.")
        target.parent.mkdir(parents=True, exist_ok=True)
        if not (target.exists() and os.path.samefile(source, target)):
            _link_or_copy(source, target)  # another version's file at that path is replaced
        os.chmod(target, f.mode)


def _link_or_copy(source: Path, target: Path) -> None:
    """`target` becomes `source`'s bytes in one rename, whatever was there."""
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, target)
