"""What the monitoring bench reads from /proc: each monitoring service's processes (the service's
main process and its descendants, what systemd's cgroup holds; the supervisor that runs it under
the supervised manager is Airlift's, counted apart), their resident memory and CPU time.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from installer.host import Host
from installer.services.supervised import ServiceFiles, read_pid

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Processes:
    """One service's processes: its own, and the supervisor around it (none under systemd)."""

    service: list[int]
    supervisor: list[int]


def service_processes(host: Host, name: str) -> Processes:
    """The processes of service `name`: its systemd unit's cgroup, else the supervised child."""
    cgroup = Path(f"/sys/fs/cgroup/system.slice/{name}.service/cgroup.procs")
    if host.systemd_running() and cgroup.is_file():
        return Processes([int(p) for p in cgroup.read_text().split()], [])
    files = ServiceFiles.of(host, name)
    child, supervisor = read_pid(files.child_pid), read_pid(files.supervisor_pid)
    return Processes(descendants([child]) if child else [], [supervisor] if supervisor else [])


def descendants(roots: Iterable[int]) -> list[int]:
    """`roots` and every process below them."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat_fields(int(entry), 2)) is not None:
            parents.setdefault(int(fields[1]), []).append(int(entry))  # ppid
    found, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += parents.get(pid, [])
    return found


def rss_bytes(pids: Iterable[int]) -> int:
    """Resident memory of `pids`, summed (VmRSS; a process gone meanwhile counts nothing)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except (OSError, ValueError):
            continue
    return total


def cpu_seconds(pids: Iterable[int]) -> float:
    """User and system CPU time of `pids`, summed."""
    total = 0
    for pid in pids:
        fields = _stat_fields(pid, 15)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def _stat_fields(pid: int, count: int) -> list[str] | None:
    """The first `count` fields of /proc/PID/stat after the command name (state, ppid, ...)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()[:count]
