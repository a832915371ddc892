"""fsync latency where etcd and the registry will write, measured as etcd's guidance does: small
sequential writes, each followed by fdatasync, and the 99th percentile of their durations.

The series is short and bounded in time: a slow disk is plain after a few writes, and the
checks must not wait on it for long.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from pathlib import Path

from installer.facts.disk import nearest_existing
from installer.facts.host_record import FsyncProbe

WRITES = 32
WRITE_BYTES = 4096
TIME_LIMIT_S = 3.0


def probe_fsync(name: str, real: Path, shown: str, writes: int = WRITES,
                time_limit: float = TIME_LIMIT_S) -> FsyncProbe:
    """Time synced 4 KiB writes in a temp file beside `real` (its nearest existing folder)."""
    folder = nearest_existing(real)
    try:
        durations = _synced_writes(folder, writes, time_limit)
    except OSError as exc:
        return FsyncProbe(name, shown, str(folder), error=exc.strerror or str(exc))
    return FsyncProbe(name, shown, str(folder), round(percentile(durations, 99) * 1000, 2), len(durations))


def _synced_writes(folder: Path, writes: int, time_limit: float) -> list[float]:
    block = os.urandom(WRITE_BYTES)
    fd, name = tempfile.mkstemp(prefix=".airlift-fsync-", dir=folder)
    durations: list[float] = []
    try:
        deadline = time.monotonic() + time_limit
        for _ in range(writes):
            start = time.perf_counter()
            os.write(fd, block)
            os.fdatasync(fd)
            durations.append(time.perf_counter() - start)
            if time.monotonic() > deadline:
                break
    finally:
        os.close(fd)
        os.unlink(name)
    return durations


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (of 32 samples, the 99th is the slowest)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
