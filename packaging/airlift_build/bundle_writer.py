"""Write the bundle: every file in sorted order under `<name>-<version>/`, then index.json, then
(when signed) signature.json, the vendor's signature over index.json's bytes.

A differential bundle (meta.base set) writes only the files it carries; the entries it expects
from its base go into index.json as they are (airlift_build.differential).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from airlift_build.files import BundleFile
from airlift_build.prepare import prepare_now, prepared
from airlift_build.tarwriter import DeterministicTar
from installer.bundle.index import INDEX_NAME, BaseRef, Index, IndexEntry
from installer.bundle.signature import SIGNATURE_NAME

FileProgress = Callable[[BundleFile], None]
# index.json's bytes -> signature.json's bytes (installer.bundle.signature)
Signer = Callable[[bytes], bytes]


@dataclass(frozen=True)
class BundleMeta:
    name: str
    version: str
    airlift_version: str
    k3s_version: str | None = None
    base: BaseRef | None = None

    @property
    def top(self) -> str:
        return f"{self.name}-{self.version}"


def _dirs(paths: list[str]) -> set[str]:
    out = set()
    for p in paths:
        d = posixpath.dirname(p)
        while d:
            out.add(d)
            d = posixpath.dirname(d)
    return out


def write_bundle(out: BinaryIO, meta: BundleMeta, files: list[BundleFile],
                 on_file: FileProgress, from_base: list[IndexEntry] | None = None,
                 sign: Signer | None = None) -> Index:
    """Write the tar to `out` and return the index it carries.

    Files are read, hashed and compressed a few ahead of the one being written (see
    airlift_build.prepare); the tar's bytes do not depend on how that work was scheduled.
    """
    by_path = {f.path: f for f in files}
    left_out = from_base or []
    if len(by_path) != len(files) or by_path.keys() & {INDEX_NAME, SIGNATURE_NAME}:
        raise ValueError("bundle files must have unique paths and must not include index.json or signature.json")
    if (left_out and meta.base is None) or by_path.keys() & {e.path for e in left_out}:
        raise ValueError("files expected from the base need a base and must not be carried too")
    tar = DeterministicTar(out, meta.top)
    tar.add_dir("")
    entries: list[IndexEntry] = []
    members = sorted([(d + "/", None) for d in _dirs(list(by_path))] + [(p, by_path[p]) for p in by_path],
                     key=lambda m: m[0])
    with prepared([f for _, f in members if f is not None]) as preparations:
        for name, f in members:
            if f is None:
                tar.add_dir(name.rstrip("/"))
            else:
                entries.append(tar.add(next(preparations)))
                on_file(f)
    index = Index(name=meta.name, version=meta.version, airlift_version=meta.airlift_version,
                  files=tuple(entries + left_out), k3s_version=meta.k3s_version, base=meta.base)
    index_bytes = index.to_json()
    tar.add(prepare_now(BundleFile(INDEX_NAME, data=index_bytes)))
    if sign is not None:
        tar.add(prepare_now(BundleFile(SIGNATURE_NAME, data=sign(index_bytes))))
    tar.close()
    return index
