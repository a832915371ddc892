"""Differential bundles (`build.py --since OLD`): leave out what the installed base already has.

A site that runs version 1.0 has every image blob and runtime file of the 1.0 bundle: the blobs
in its registry, the runtime in the first master's blob store. The 1.1 differential bundle
therefore carries every file of 1.1 except the image blobs and runtime files 1.0 already had
(same logical path, same content, same mode); everything else (the installer, which runs the
upgrade, the manifest, resources, the images' index) is always carried. The left-out files stay
in the index, marked `from_base` with the base's stored size and sha256, so the installer finds
and verifies the base's copies (installer.bundle.base). The rule itself is
installer.bundle.differential's, which the hub's differential downloads follow too.
"""

from __future__ import annotations

import hashlib
import tarfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from airlift_build.files import BundleFile
from installer.bundle.differential import BaseCopies, base_ref
from installer.bundle.index import INDEX_NAME, BaseRef, Index, IndexEntry
from installer.errors import AirliftError

CHUNK = 1 << 20


@dataclass(frozen=True)
class Base:
    """The old bundle's index and the reference a differential index names it by."""

    index: Index
    ref: BaseRef


@dataclass(frozen=True)
class Split:
    """The files to write, and the old entries the new bundle expects from its base."""

    carried: list[BundleFile]
    from_base: list[IndexEntry]

    @property
    def saved_bytes(self) -> int:
        """What the left-out files take in the base bundle: about what a full bundle would carry."""
        return sum(e.size for e in self.from_base)


def load_base(old: Path) -> Base:
    """The base from OLD: a bundle tarball, an unpacked bundle folder, or its index.json."""
    raw = _index_bytes(old)
    try:
        index = Index.from_json(raw)
    except (ValueError, KeyError, TypeError) as e:
        raise AirliftError(f"--since {old}: its index.json cannot be read ({e})",
                           hint="give the previous version's bundle tarball, its unpacked folder or its "
                                "index.json") from None
    return Base(index, base_ref(index, raw))


def _index_bytes(old: Path) -> bytes:
    if old.is_dir():
        old = old / INDEX_NAME
    if not old.is_file():
        raise AirliftError(f"--since {old}: no such file",
                           hint="give the previous version's bundle tarball, its unpacked folder or its index.json")
    if not tarfile.is_tarfile(old):
        return old.read_bytes()
    with tarfile.open(old, "r:") as tar:
        # index.json is the tarball's last member, under the one top folder.
        found = [m for m in tar if m.isfile() and m.name.count("/") == 1 and m.name.endswith("/" + INDEX_NAME)]
        member = tar.extractfile(found[-1]) if found else None
        if member is None:
            raise AirliftError(f"--since {old}: the tarball holds no {INDEX_NAME}",
                               hint="give a bundle built by build.py (its index.json is its last member)")
        return member.read()


def check_base(base: Base, name: str, version: str) -> None:
    """Refuse a base of another application, or of the very version being built."""
    if base.index.name != name:
        raise AirliftError(f"--since names a bundle of {base.index.name} {base.index.version}, not of {name}",
                           hint=f"give the previous bundle of {name}; a differential bundle upgrades the "
                                "same application")
    if base.index.version == version:
        raise AirliftError(f"--since names {name} {version} itself",
                           hint="give the bundle of the version installed on the sites, older than this one")


def split(files: list[BundleFile], base: Base) -> Split:
    """Which files the new bundle carries and which it expects from the base."""
    copies = BaseCopies(base.index)
    carried: list[BundleFile] = []
    from_base: list[IndexEntry] = []
    for f in files:
        copy = copies.copy_of(f.path, f.mode, f.size, partial(_content_sha256, f))
        if copy is not None:
            from_base.append(copy)
        else:
            carried.append(f)
    return Split(carried, from_base)


def _content_sha256(f: BundleFile) -> str:
    if f.sha256:
        return f.sha256.removeprefix("sha256:")
    if f.data is not None:
        return hashlib.sha256(f.data).hexdigest()
    digest = hashlib.sha256()
    with open(f.source, "rb") as src:  # type: ignore[arg-type]
        while chunk := src.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
