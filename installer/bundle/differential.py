"""Which files a differential bundle leaves out: the one rule `build.py --since OLD`
(airlift_build.differential) and the hub's differential downloads (hub/differentials.py) both
follow, so a differential bundle fetched from the hub is byte for byte the one build.py writes.

A site that runs the base has every image blob and runtime file of the base bundle. A file of
the new version is left out when the base had it at the same logical path, under
`images/blobs/` or `runtime/`, with the same mode and content (size and sha256 once
decompressed); its entry is then the base's own (stored size, sha256, `zstd`) marked
`from_base`, so the site finds and checks the copy it holds. Everything else, the installer
first, is carried.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from functools import partial

from installer.bundle.index import BaseRef, Index, IndexEntry

# Only these may be left out: the bulk of a bundle, and what an installed cluster keeps.
OMITTABLE_PREFIXES = ("images/blobs/", "runtime/")


def base_ref(base: Index, base_index_bytes: bytes) -> BaseRef:
    """How a differential index names its base: name, version and the sha256 of its index.json."""
    return BaseRef(base.name, base.version, hashlib.sha256(base_index_bytes).hexdigest())


class BaseCopies:
    """The base bundle's files by logical path, to decide file by file what is left out."""

    def __init__(self, base: Index) -> None:
        self._by_path = {e.path: e for e in base.files}

    def copy_of(self, path: str, mode: int, content_size: int,
                content_sha256: Callable[[], str]) -> IndexEntry | None:
        """The base's entry, marked from_base, that stands in for this file; None when the new
        bundle must carry it. The digest is asked for last, so the build hashes a file only
        when its path, mode and size already match."""
        entry = self._by_path.get(path)
        if entry is None or not path.startswith(OMITTABLE_PREFIXES):
            return None
        if mode != entry.mode or content_size != entry.content_size or content_sha256() != entry.content_sha256:
            return None
        return dataclasses.replace(entry, from_base=True)


def differential_index(full: Index, base: Index, base_index_bytes: bytes) -> Index:
    """The index `build.py --since BASE` writes for the version whose full index is `full`."""
    if full.base is not None or base.base is not None:
        raise ValueError("a differential index is made from two full indexes")
    copies = BaseCopies(base)
    files = [copies.copy_of(e.path, e.mode, e.content_size, partial(_content_sha256, e)) or e
             for e in full.files]
    return dataclasses.replace(full, files=tuple(files), base=base_ref(base, base_index_bytes))


def _content_sha256(entry: IndexEntry) -> str:
    return entry.content_sha256
