"""The cgroup hierarchy k3s will run containers in, read under `system`.

cgroup v2 is the unified hierarchy at /sys/fs/cgroup (its cgroup.controllers lists what this
cgroup may delegate); otherwise the v1 hierarchies are the `cgroup` mounts in /proc/self/mounts,
each with the controllers in its mount options, enabled per /proc/cgroups.
"""

from __future__ import annotations

from pathlib import Path

from installer.facts.host_record import CgroupFacts

V1_CONTROLLERS = ("cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer", "hugetlb")


def read_cgroups(system: Path) -> CgroupFacts:
    unified = system / "sys/fs/cgroup/cgroup.controllers"
    if unified.is_file():
        try:
            return CgroupFacts(2, sorted(unified.read_text(encoding="utf-8").split()))
        except OSError as exc:
            return CgroupFacts(2, error=f"cannot read {unified}: {exc.strerror}")
    try:
        mounts = (system / "proc/self/mounts").read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        return CgroupFacts(error=f"cannot read /proc/self/mounts: {exc.strerror}")
    mounted = set()
    for line in mounts:
        cols = line.split()
        if len(cols) >= 4 and cols[2] == "cgroup":
            mounted |= set(cols[3].split(",")) & set(V1_CONTROLLERS)
    if not mounted:
        return CgroupFacts(error="no cgroup filesystem is mounted under /sys/fs/cgroup")
    return CgroupFacts(1, sorted(mounted & _enabled_v1(system)))


def _enabled_v1(system: Path) -> set[str]:
    """Controllers /proc/cgroups marks enabled (all of them when the file cannot be read)."""
    try:
        lines = (system / "proc/cgroups").read_text(encoding="utf-8").splitlines()
    except OSError:
        return set(V1_CONTROLLERS)
    enabled = set()
    for line in lines:
        cols = line.split()
        if len(cols) >= 4 and not line.startswith("#") and cols[3] == "1":
            enabled.add(cols[0])
    return enabled
