"""Freeze the installer with PyInstaller, once per version of its sources.

The frozen installer depends only on the installer's sources, the wizard and the control panel, their assets, the spec
and the pinned requirements — never on the manifest or the images — so its build is cached
under `.cache/airlift/freeze/<hash of those inputs>/` and a build that changes only the
application reuses it. PyInstaller runs in a subprocess with `python -P`: the current folder is
never put on sys.path, so the folder `packaging/` cannot shadow PyPI's `packaging`.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from installer.errors import AirliftError

# Inputs of the frozen installer, relative to the repository.
SOURCE_DIRS = ("installer", "wizard", "panel", "templates", "static")
SOURCE_FILES = ("packaging/airlift.spec", "packaging/airlift_entry.py", "requirements.txt")
EXECUTABLE = "airlift"
# Frozen builds kept in the cache (each weighs tens of MB); older ones are removed, but never
# one used in the last few minutes, which a test run in progress may still be copying.
KEEP = 3
KEEP_RECENT_S = 600


def source_files(repo: Path, dirs: Iterable[str] = SOURCE_DIRS,
                 files: Iterable[str] = SOURCE_FILES) -> list[Path]:
    """Every file that goes into a frozen build, sorted; caches and compiled files left out."""
    found = [repo / f for f in files if (repo / f).is_file()]
    for d in dirs:
        for path in (repo / d).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                found.append(path)
    return sorted(found)


def inputs_hash(repo: Path, paths: Iterable[Path]) -> str:
    """A key for the cache: relative path and bytes of every input, plus the Python version."""
    digest = hashlib.sha256(sys.version.encode())
    for path in paths:
        digest.update(str(path.relative_to(repo)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def cache_root(repo: Path) -> Path:
    return repo / ".cache" / "airlift" / "freeze"


def run_pyinstaller(args: list[str], work: Path, log: Path) -> None:
    """Run PyInstaller in its own interpreter; a failure names the log to read."""
    argv = [sys.executable, "-P", "-m", "PyInstaller", "--noconfirm", "--log-level=WARN",
            "--workpath", str(work / "build"), "--distpath", str(work / "dist"), *args]
    # A fixed hash seed fixes the order PyInstaller writes modules into base_library.zip (it
    # comes from iterating sets of names), so freezing the same sources gives the same bytes.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
    with log.open("wb") as out:
        done = subprocess.run(argv, cwd=work, stdout=out, stderr=subprocess.STDOUT, env=env)
    if done.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise AirliftError("Freezing with PyInstaller failed.", details="\n".join(tail),
                           hint=f"read the whole PyInstaller output in {log}")


def cached_build(key_dir: Path, name: str, build: Callable[[Path], Path]) -> Path:
    """Return `key_dir/name`, building it with `build(work_dir)` only when it is not cached.

    The result is moved into place at the end, so an interrupted build leaves no cache entry.
    Two builds at once on one machine (a vendor's CI jobs, the test run's workers) take turns:
    the second waits for the first one's result instead of freezing the same sources again.
    """
    target = key_dir / name
    key_dir.mkdir(parents=True, exist_ok=True)
    with (key_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            os.utime(key_dir)  # marks it recently used, so pruning keeps it
            return target
        with tempfile.TemporaryDirectory(dir=key_dir, prefix=".build-") as tmp:
            build(Path(tmp)).rename(target)
    return target


def prune(root: Path, keep: int = KEEP, recent_s: float = KEEP_RECENT_S) -> None:
    """Remove all but the `keep` most recently used builds under `root`."""
    entries = sorted((d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")),
                     key=lambda d: d.stat().st_mtime, reverse=True)
    now = time.time()
    for old in entries[keep:]:
        if now - old.stat().st_mtime > recent_s:
            shutil.rmtree(old, ignore_errors=True)


def freeze_installer(repo: Path) -> Path:
    """The one-folder frozen installer (a folder holding `airlift` and `_internal/`)."""
    key = inputs_hash(repo, source_files(repo))

    def build(work: Path) -> Path:
        log = work / "pyinstaller.log"
        run_pyinstaller([str(repo / "packaging" / "airlift.spec")], work, log)
        return work / "dist" / EXECUTABLE

    frozen = cached_build(cache_root(repo) / "installer" / key, EXECUTABLE, build)
    prune(cache_root(repo) / "installer")
    return frozen
