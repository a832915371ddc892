"""Limits kubelet and containerd run into on busy nodes, and the kernel defaults k3s's CIS
hardening guide sets. Each is a warning with the sysctl line that sets it now and at boot.
"""

from __future__ import annotations

from collections.abc import Mapping

from installer.checks.result import CheckResult, Family, passed, problem
from installer.facts import Facts
from installer.manifest.models import NodeProfile

INOTIFY = {"fs.inotify.max_user_instances": 8192, "fs.inotify.max_user_watches": 524288}
NOFILE = 65536
UNIT_NOFILE = 1048576  # LimitNOFILE of the k3s unit; the kernel caps it at fs.nr_open
HARDENING = {"vm.overcommit_memory": "1", "vm.panic_on_oom": "0", "kernel.panic": "10", "kernel.panic_on_oops": "1"}


def _sysctl_fix(values: Mapping[str, object], conf: str) -> str:
    lines = "\\n".join(f"{k} = {v}" for k, v in values.items())
    return (f"Run: sysctl -w {' '.join(f'{k}={v}' for k, v in values.items())} && "
            f"printf '{lines}\\n' > /etc/sysctl.d/{conf}")


def _int(value: str | None) -> int:
    """A sysctl's number; 0 when it could not be read, so it reads as too low."""
    try:
        return int(value or 0)
    except ValueError:
        return 0


def check_inotify(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    values = facts.limits.sysctls
    low = {k: want for k, want in INOTIFY.items() if _int(values.get(k)) < want}
    shown = ", ".join(f"{k} = {values.get(k)}" for k in INOTIFY)
    if not low:
        return [passed("limits-inotify", "warn", f"{shown}.")]
    return [problem("limits-inotify", "warn",
                    f"{shown}: below {', '.join(f'{k} {v}' for k, v in low.items())}, kubelet and pods that watch "
                    "files fail with \"too many open files\".", _sysctl_fix(low, "90-airlift-inotify.conf"))]


def check_nofile(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    limits = facts.limits
    if limits.systemd:
        nr_open = _int(limits.sysctls.get("fs.nr_open"))
        if nr_open >= UNIT_NOFILE:
            return [passed("limits-nofile", "warn", f"The k3s unit's LimitNOFILE={UNIT_NOFILE} fits fs.nr_open {nr_open}.")]
        return [problem("limits-nofile", "warn", f"fs.nr_open is {nr_open}: the k3s unit's LimitNOFILE={UNIT_NOFILE} is "
                        "cut down to it, and containerd runs short of open files.",
                        _sysctl_fix({"fs.nr_open": UNIT_NOFILE}, "90-airlift-nofile.conf"))]
    hard = limits.nofile_hard
    if hard is None or hard >= NOFILE:
        return [passed("limits-nofile", "warn", f"Open-file limit {hard or 'unlimited'} for the services Airlift starts.")]
    return [problem("limits-nofile", "warn",
                    f"The open-file limit is {hard}: k3s and its containerd inherit it from the installer (no systemd "
                    f"here) and run short of files under load; they need {NOFILE} or more.",
                    f"Run the install from a shell with a higher limit: ulimit -Hn {UNIT_NOFILE} && ulimit -n {UNIT_NOFILE}, "
                    f"or add `* hard nofile {UNIT_NOFILE}` to /etc/security/limits.conf and log in again.")]


def check_kernel_defaults(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    values = facts.limits.sysctls
    differ = {k: want for k, want in HARDENING.items() if values.get(k) is not None and values[k] != want}
    if not differ:
        return [passed("kernel-defaults", "warn", "vm.overcommit_memory, vm.panic_on_oom, kernel.panic and "
                                                  "kernel.panic_on_oops are what k3s's hardening guide sets.")]
    shown = ", ".join(f"{k} = {values[k]}" for k in differ)
    return [problem("kernel-defaults", "warn",
                    f"{shown}: k3s's CIS hardening guide expects {', '.join(f'{k} = {v}' for k, v in differ.items())}; "
                    "kubelet changes them at start, and a hardened kubelet (protect-kernel-defaults) refuses to start.",
                    _sysctl_fix(differ, "90-airlift-kubelet.conf"))]


def check_limits(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    return [*check_inotify(facts, profile), *check_nofile(facts, profile), *check_kernel_defaults(facts, profile)]


LIMITS = Family("limits", "limits-inotify, limits-nofile, kernel-defaults",
                "inotify and open-file limits high enough for kubelet and containerd; vm.overcommit_memory, "
                "kernel.panic and friends as k3s's hardening guide sets them (warn, with the sysctl line)",
                check_limits)
