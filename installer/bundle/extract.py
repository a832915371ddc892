"""Unpack a bundle tarball safely: members can never land outside the target folder.

Only regular files and folders are accepted; links, devices, FIFOs, absolute paths and `..`
are refused before anything is written, so a hostile or damaged tarball changes nothing.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

from installer.bundle.errors import BundleError
from installer.bundle.index import is_safe_relative


def check_members(members: list[tarfile.TarInfo]) -> list[str]:
    """Problems with a tarball's members (empty when every member is safe to extract)."""
    problems = []
    for m in members:
        name = m.name.rstrip("/") if m.isdir() else m.name
        if not is_safe_relative(name.removeprefix("./")):
            problems.append(f"{m.name}: path escapes the target folder")
        elif not (m.isfile() or m.isdir()):
            problems.append(f"{m.name}: is a link or special file; bundles hold only files and folders")
    return problems


def safe_extract(tar_path: Path, target: Path) -> list[str]:
    """Extract every member under target; returns the member names. Raises BundleError."""
    try:
        tar = tarfile.open(tar_path, "r:")
    except (OSError, tarfile.TarError) as e:
        raise BundleError([f"{tar_path}: is not a readable tar file ({e})"]) from None
    with tar:
        try:
            members = tar.getmembers()
        except tarfile.TarError as e:
            raise BundleError([f"{tar_path}: is damaged or truncated ({e})"]) from None
        problems = check_members(members)
        if problems:
            raise BundleError(problems, hint="get the bundle from the vendor again; do not unpack this one")
        for m in members:
            _extract_member(tar, m, target)
    return [m.name for m in members]


def _extract_member(tar: tarfile.TarFile, m: tarfile.TarInfo, target: Path) -> None:
    dest = target / m.name.removeprefix("./")
    if m.isdir():
        dest.mkdir(parents=True, exist_ok=True)
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = tar.extractfile(m)
    if src is None:
        raise BundleError([f"{m.name}: cannot be read from the tarball"])
    with src, open(dest, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
        if out.tell() != m.size:
            raise BundleError([f"{m.name}: is truncated in the tarball"])
    os.chmod(dest, m.mode & 0o755)
