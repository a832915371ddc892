"""The kernel k3s runs on: a version its containerd and kubelet support, and the cgroup
controllers they need (cpu, cpuset, memory, pids), in cgroup v2 or v1.
"""

from __future__ import annotations

import re

from installer.checks.result import CheckResult, Family, passed, problem
from installer.facts import Facts
from installer.manifest.models import NodeProfile

MIN_KERNEL = (3, 10)      # the oldest kernel k3s's containerd and kubelet run on (RHEL 7's)
MIN_KERNEL_V2 = (5, 8)    # Kubernetes needs 5.8 or later for cgroup v2 (kubernetes.io, "About cgroup v2")
NEEDED = ("cpu", "cpuset", "memory", "pids")
V1_MEMORY_FIX = ("Add cgroup_memory=1 cgroup_enable=memory to the kernel command line (GRUB_CMDLINE_LINUX in "
                 "/etc/default/grub, then update-grub; /boot/firmware/cmdline.txt on a Raspberry Pi) and reboot")


def _version(release: str) -> tuple[int, int] | None:
    match = re.match(r"(\d+)\.(\d+)", release)
    return (int(match[1]), int(match[2])) if match else None


def _shown(version: tuple[int, int]) -> str:
    return ".".join(map(str, version))


def check_kernel(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    version = _version(facts.kernel_release)
    if version is None:
        return [problem("kernel-version", "warn", "Cannot read the kernel version (/proc/sys/kernel/osrelease).",
                        "Check it with: uname -r (k3s needs 3.10 or later, 5.8 or later with cgroup v2)")]
    if version < MIN_KERNEL:
        return [problem("kernel-version", "fail", f"Kernel {facts.kernel_release} is older than {_shown(MIN_KERNEL)}, "
                        "the oldest k3s's containerd and kubelet run on.",
                        "Boot a newer kernel from the distribution (or use a supported distribution release).")]
    if facts.cgroups.version == 2 and version < MIN_KERNEL_V2:
        return [problem("kernel-version", "warn", f"Kernel {facts.kernel_release} runs cgroup v2, which Kubernetes "
                        f"supports from kernel {_shown(MIN_KERNEL_V2)}: resource limits may misbehave.",
                        f"Boot a kernel {_shown(MIN_KERNEL_V2)} or newer, or boot with cgroup v1 "
                        "(systemd.unified_cgroup_hierarchy=0 on the kernel command line).")]
    return [passed("kernel-version", "fail", f"Kernel {facts.kernel_release} (k3s needs {_shown(MIN_KERNEL)} or later).")]


def check_cgroups(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    cg = facts.cgroups
    if cg.version is None:
        return [problem("cgroups", "fail", f"No cgroup hierarchy to run containers in: {cg.error}.",
                        "Mount one: mount -t cgroup2 none /sys/fs/cgroup (systemd mounts it at boot).")]
    missing = [c for c in NEEDED if c not in cg.controllers]
    if not missing:
        return [passed("cgroups", "fail", f"cgroup v{cg.version} with {', '.join(NEEDED)}.")]
    if cg.version == 2:
        fix = ("Run on a host (or container) whose cgroup delegates them: on a host, "
               f"echo '{' '.join('+' + c for c in missing)}' > /sys/fs/cgroup/cgroup.subtree_control; "
               "a container needs its own cgroup namespace (docker run --cgroupns=private).")
        where = "/sys/fs/cgroup/cgroup.controllers"
    else:
        fix = V1_MEMORY_FIX if missing == ["memory"] else (
            f"Enable and mount the {', '.join(missing)} controllers (kernel options cgroup_enable=..., "
            "and a cgroup mount for each under /sys/fs/cgroup), or boot with cgroup v2.")
        where = "the cgroup mounts and /proc/cgroups"
    return [problem("cgroups", "fail",
                    f"cgroup v{cg.version} lacks the {', '.join(missing)} controller(s) k3s needs ({where} "
                    f"offer: {', '.join(cg.controllers) or 'none'}).", fix)]


def check_kernel_support(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    return check_kernel(facts, profile) + check_cgroups(facts, profile)


KERNEL = Family("kernel", "kernel-version, cgroups",
                "The kernel is one k3s supports (3.10+, 5.8+ with cgroup v2) and cgroup v2 or v1 offers the cpu, "
                "cpuset, memory and pids controllers", check_kernel_support)
