"""The bundle's index format ("airlift-bundle/1"): the one definition shared by the writer
(airlift_build) and the reader (installer.bundle), so the two can never disagree.

index.json lists every file of the bundle except itself: the logical path, the size and sha256
of the bytes stored on disk, the mode, and for a file stored zstd-compressed as `<path>.zst`,
the size and sha256 of its content after decompression. `k3s_version` is the release of the
k3s binary the bundle carries (from its `--version`, e.g. "v1.29.1+k3s1"; absent in bundles
built before it was recorded), which `./install status` shows.

A differential bundle (`build.py --since OLD`) names its base, `base: {name, version,
index_sha256}` (the sha256 of the base's index.json bytes), and still lists every file of its
version: the files it leaves out, because the base already had them (image blobs and runtime
files of the same path and content), are entries with `from_base: true` that keep the base's
stored size and sha256 (and `zstd`), so the base's copy, kept on the installed cluster, can be
found and verified by the same digest. Nothing else changes, so a full bundle's index is byte
for byte what it was before differential bundles existed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

FORMAT = "airlift-bundle/1"
INDEX_NAME = "index.json"
ZST_SUFFIX = ".zst"


@dataclass(frozen=True)
class Content:
    """Size and sha256 of a file's content after decompression."""

    size: int
    sha256: str


@dataclass(frozen=True)
class IndexEntry:
    """One file of the bundle, as index.json describes it."""

    path: str
    size: int
    sha256: str
    mode: int
    zstd: Content | None = None
    from_base: bool = False  # left out of a differential bundle: the base bundle has it

    @property
    def stored_path(self) -> str:
        """Where the bytes are on disk, relative to the bundle folder."""
        return self.path + ZST_SUFFIX if self.zstd else self.path

    @property
    def content_size(self) -> int:
        """Size of the file as the installer uses it (decompressed)."""
        return self.zstd.size if self.zstd else self.size

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"path": self.path, "size": self.size, "sha256": self.sha256,
                             "mode": self.mode}
        if self.zstd:
            d["zstd"] = {"size": self.zstd.size, "sha256": self.zstd.sha256}
        if self.from_base:
            d["from_base"] = True
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> IndexEntry:
        z = d.get("zstd")
        return cls(path=str(d["path"]), size=int(d["size"]), sha256=str(d["sha256"]),
                   mode=int(d["mode"]), zstd=Content(int(z["size"]), str(z["sha256"])) if z else None,
                   from_base=d.get("from_base") is True)

    @property
    def content_sha256(self) -> str:
        """sha256 of the file as the installer uses it (decompressed)."""
        return self.zstd.sha256 if self.zstd else self.sha256


@dataclass(frozen=True)
class BaseRef:
    """The bundle a differential bundle was built against."""

    name: str
    version: str
    index_sha256: str  # sha256 of the base's index.json bytes

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "index_sha256": self.index_sha256}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BaseRef:
        return cls(name=str(d["name"]), version=str(d["version"]), index_sha256=str(d["index_sha256"]))


@dataclass(frozen=True)
class Index:
    """The parsed index.json."""

    name: str
    version: str
    airlift_version: str
    files: tuple[IndexEntry, ...]
    k3s_version: str | None = None
    base: BaseRef | None = None  # set in a differential bundle only

    @property
    def carried(self) -> tuple[IndexEntry, ...]:
        """The files this bundle holds (every file, unless it is differential)."""
        return tuple(e for e in self.files if not e.from_base)

    @property
    def from_base(self) -> tuple[IndexEntry, ...]:
        """The files a differential bundle expects from its base."""
        return tuple(e for e in self.files if e.from_base)

    def to_json(self) -> bytes:
        """Canonical bytes: sorted keys and files, so identical bundles have identical indexes."""
        doc: dict[str, Any] = {"format": FORMAT, "name": self.name, "version": self.version,
                               "airlift_version": self.airlift_version, "k3s_version": self.k3s_version,
                               "files": [e.to_dict() for e in sorted(self.files, key=lambda e: e.path)]}
        if self.base:
            doc["base"] = self.base.to_dict()
        return (json.dumps(doc, sort_keys=True, indent=1) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> Index:
        """Parse index.json; raises ValueError/KeyError/TypeError on a malformed document."""
        doc = json.loads(data)
        if doc.get("format") != FORMAT:
            raise ValueError(f"format is {doc.get('format')!r}, this installer reads {FORMAT!r}")
        files = tuple(IndexEntry.from_dict(f) for f in doc["files"])
        base = BaseRef.from_dict(doc["base"]) if doc.get("base") else None
        if base is None and any(e.from_base for e in files):
            raise ValueError("files are marked from_base but the index names no base")
        return cls(name=str(doc["name"]), version=str(doc["version"]),
                   airlift_version=str(doc["airlift_version"]), files=files,
                   k3s_version=doc.get("k3s_version"), base=base)


def is_safe_relative(path: str) -> bool:
    """True for a plain relative POSIX path that stays inside the folder it is relative to."""
    p = PurePosixPath(path)
    return bool(path) and not p.is_absolute() and ".." not in p.parts and "\\" not in path \
        and "" not in path.split("/") and "." not in p.parts
