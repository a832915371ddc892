"""Check an unpacked bundle against its index before anything touches the host.

Every problem is collected (missing, altered or extra files, symlinks, special files, paths
escaping the folder) so the operator sees the whole picture at once.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from installer.bundle.base import BlobLocation
from installer.bundle.index import INDEX_NAME, Index, IndexEntry, is_safe_relative
from installer.bundle.signature import SIGNATURE_NAME

Progress = Callable[[int, int], None]
CHUNK = 1 << 20


def verify_tree(root: Path, index: Index, progress: Progress | None = None) -> list[str]:
    """Return the problems found (empty when the bundle is intact); progress(done, total) in bytes.
    A differential bundle's files expected from its base are not looked for here."""
    problems: list[str] = []
    expected = {}
    for entry in index.carried:
        if not is_safe_relative(entry.stored_path):
            problems.append(f"{entry.path}: index names a path outside the bundle folder")
        else:
            expected[entry.stored_path] = entry
    problems += _unexpected_files(root, set(expected), {e.stored_path for e in index.from_base})
    total = sum(e.size for e in expected.values())
    done = 0
    # Hashing dominates and hashlib releases the GIL: check files on every core.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        futures = {pool.submit(_check_file, root / stored, entry): entry for stored, entry in expected.items()}
        found: dict[str, str | None] = {}
        for future in as_completed(futures):
            entry = futures[future]
            found[entry.stored_path] = future.result()
            done += entry.size
            if progress:
                progress(done, total)
    problems += [problem for _, problem in sorted(found.items()) if problem]
    return problems


def verify_files(located: list[tuple[IndexEntry, BlobLocation | None]]) -> list[str]:
    """Problems with the base's copies of the files a differential bundle expects from it."""
    problems = []
    for entry, loc in located:
        if loc is None:
            problems.append(f"{entry.path}: the base has no copy (sha256 {entry.sha256})")
            continue
        want = entry if loc.compressed else IndexEntry(entry.path, entry.content_size, entry.content_sha256, entry.mode)
        problem = _check_file(loc.path, want)
        if problem:
            problems.append(f"{entry.path} from the base ({loc.path}): {problem.split(': ', 1)[1]}")
    return problems


def _unexpected_files(root: Path, expected: set[str], from_base: set[str]) -> list[str]:
    """Symlinks, special files, and regular files the index does not list."""
    problems = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        for name in sorted(dirnames + filenames):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            mode = os.lstat(os.path.join(dirpath, name)).st_mode
            if stat.S_ISLNK(mode):
                problems.append(f"{rel}: is a symbolic link; a bundle holds only regular files")
            elif stat.S_ISDIR(mode):
                continue
            elif not stat.S_ISREG(mode):
                problems.append(f"{rel}: is a special file; a bundle holds only regular files")
            elif rel in from_base:
                problems.append(f"{rel}: the index expects it from the base bundle, not in this folder "
                                "(added after the build?)")
            elif rel not in expected and rel not in (INDEX_NAME, SIGNATURE_NAME):
                problems.append(f"{rel}: is not in the bundle's index (added after the build?)")
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
    return problems


def _check_file(path: Path, entry: IndexEntry) -> str | None:
    rel = entry.stored_path
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return f"{rel}: is missing"
    if not stat.S_ISREG(st.st_mode):
        return None  # reported by _unexpected_files
    if st.st_size != entry.size:
        return f"{rel}: size is {st.st_size} bytes, the index says {entry.size} (truncated or altered)"
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != entry.sha256:
        return f"{rel}: sha256 is {digest.hexdigest()}, the index says {entry.sha256} (altered)"
    return None
