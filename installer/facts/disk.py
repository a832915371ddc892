"""Probe folders and volumes: existence, filesystem, free space, writability, write speed."""

from __future__ import annotations

import mmap
import os
import tempfile
import time
from pathlib import Path

import psutil

from installer.facts.record import DirProbe, VolumeProbe

SPEED_TEST_BYTES = 32 * 1024 * 1024
_CHUNK = 4 * 1024 * 1024


def nearest_existing(path: Path) -> Path:
    """The path itself, or its closest parent that exists (where a missing folder would go)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def filesystem_of(path: Path) -> str | None:
    """Filesystem type of the mount holding `path` (the longest mountpoint that contains it)."""
    real = os.path.realpath(path)
    best: tuple[int, str | None] = (-1, None)
    for part in psutil.disk_partitions(all=True):
        mount = part.mountpoint
        inside = real == mount or real.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) > best[0]:
            best = (len(mount), part.fstype)
    return best[1]


def free_bytes(path: Path) -> int:
    """Bytes an unprivileged writer may still use on the filesystem holding `path`."""
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def probe_volume(real: Path, shown: str, measure_speed: bool) -> VolumeProbe:
    """Probe a volume at its real location `real`; `shown` is the path the manifest names."""
    probed = nearest_existing(real)
    try:
        fs_type = filesystem_of(probed)
        free = free_bytes(probed)
        rate = measure_write_rate(probed, min(SPEED_TEST_BYTES, free // 4)) if measure_speed else None
    except OSError as exc:
        return VolumeProbe(shown, real.exists(), real.is_dir(), str(probed), None, None,
                           error=exc.strerror or str(exc))
    return VolumeProbe(shown, real.exists(), real.is_dir(), str(probed), free, fs_type, rate)


def measure_write_rate(folder: Path, size: int = SPEED_TEST_BYTES) -> float:
    """Bytes per second of a real write of `size` bytes that reaches the disk.

    O_DIRECT bypasses the page cache so the figure is the disk's, not RAM's; filesystems that
    refuse O_DIRECT (tmpfs) get a buffered write. Either way fsync ends the timing.
    """
    size = max(_CHUNK, size - size % _CHUNK)
    buf = mmap.mmap(-1, _CHUNK)  # page-aligned, as O_DIRECT needs
    buf.write(os.urandom(_CHUNK))  # incompressible, so a compressing filesystem cannot cheat
    fd, name = tempfile.mkstemp(prefix=".airlift-speed-", dir=folder)
    os.close(fd)
    try:
        fd = _open_direct(name)
        try:
            start = time.perf_counter()
            for _ in range(size // _CHUNK):
                os.write(fd, buf)
            os.fsync(fd)
            elapsed = time.perf_counter() - start
        finally:
            os.close(fd)
    finally:
        os.unlink(name)
        buf.close()
    return size / max(elapsed, 1e-6)


def _open_direct(name: str) -> int:
    try:
        return os.open(name, os.O_WRONLY | os.O_DIRECT)
    except OSError:
        return os.open(name, os.O_WRONLY)


def probe_dir(path: Path, needed_bytes: int = 0) -> DirProbe:
    """Can the installer create files in `path` (or create `path` itself, if it is missing)?"""
    probed = nearest_existing(path)
    try:
        fd, name = tempfile.mkstemp(prefix=".airlift-probe-", dir=probed)
        os.close(fd)
        os.unlink(name)
        free = free_bytes(probed)
    except OSError as exc:
        return DirProbe(str(path), False, error=exc.strerror or str(exc), needed_bytes=needed_bytes)
    return DirProbe(str(path), True, free, needed_bytes=needed_bytes)
