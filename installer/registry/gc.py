"""Delete from the registry's filesystem storage every image no kept version names.

Only the installed version and the one before it (kept for a rollback) stay: their manifests are
followed in the storage itself (an index to its manifests, a manifest to its config and layers),
so no bundle is needed. A tag, manifest revision or layer link to anything else is removed, then
every blob no kept manifest reaches. The registry is read-only and nothing pulls an old version,
so its files can go while it runs; a second run finds nothing more to delete.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path

from installer.registry.populate import v2_root

MANIFEST_MAX = 4 << 20  # a manifest or an index is small JSON; a layer is never parsed


def reachable(storage: Path, manifests: Iterable[str]) -> set[str]:
    """Every digest the `manifests` reach in the storage: themselves, child manifests, configs, layers."""
    blobs = v2_root(storage) / "blobs" / "sha256"
    seen: set[str] = set()
    todo = list(manifests)
    while todo:
        digest = todo.pop()
        if digest in seen:
            continue
        seen.add(digest)
        data = blobs / digest.removeprefix("sha256:")[:2] / digest.removeprefix("sha256:") / "data"
        if not data.is_file() or data.stat().st_size > MANIFEST_MAX:
            continue
        try:
            doc = json.loads(data.read_bytes())
        except (ValueError, UnicodeDecodeError):
            continue
        todo += [m["digest"] for m in doc.get("manifests", [])]  # an index: its manifests, parsed in turn
        seen.update(d["digest"] for d in [doc.get("config") or {}, *doc.get("layers", [])] if "digest" in d)
    return seen


def collect(storage: Path, manifests: Iterable[str]) -> int:
    """Delete what the `manifests` (of the kept versions) do not reach; the bytes freed."""
    keep = reachable(storage, manifests)
    root = v2_root(storage)
    for repo in _repositories(root / "repositories"):
        _prune_links(repo, keep)
    freed = 0
    for data in sorted((root / "blobs" / "sha256").glob("*/*/data")):
        if f"sha256:{data.parent.name}" not in keep:
            freed += data.stat().st_size
            shutil.rmtree(data.parent)
    return freed


def _repositories(folder: Path) -> list[Path]:
    return sorted(p.parent for p in folder.rglob("_manifests")) if folder.is_dir() else []


def _prune_links(repo: Path, keep: set[str]) -> None:
    for tag in _children(repo / "_manifests" / "tags"):
        current = tag / "current" / "link"
        if not current.is_file() or current.read_text().strip() not in keep:
            shutil.rmtree(tag)
    for folder in (repo / "_manifests" / "revisions" / "sha256", repo / "_layers" / "sha256"):
        for link in _children(folder):
            if f"sha256:{link.name}" not in keep:
                shutil.rmtree(link)
    if not _children(repo / "_manifests" / "tags") and not _children(repo / "_manifests" / "revisions" / "sha256"):
        shutil.rmtree(repo)


def _children(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
