"""Kernel modules k3s needs, and the sysctls pod networking relies on."""

from __future__ import annotations

from installer.checks.result import CheckResult, Family, passed, problem
from installer.facts import Facts
from installer.manifest.models import NodeProfile

MODULE_STATES = {
    "loaded": "is loaded",
    "builtin": "is built into the kernel",
    "loadable": "is installed; k3s loads it at start",
}
# Each sysctl, the value it needs, and the exact commands that set it now and at every boot.
SYSCTL_FIXES = {
    "net.ipv4.ip_forward": (
        "1", "sysctl -w net.ipv4.ip_forward=1 && echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-airlift.conf"),
    "net.bridge.bridge-nf-call-iptables": (
        "1", "modprobe br_netfilter && sysctl -w net.bridge.bridge-nf-call-iptables=1 && "
             "echo br_netfilter > /etc/modules-load.d/airlift.conf && "
             "echo 'net.bridge.bridge-nf-call-iptables = 1' > /etc/sysctl.d/90-airlift-bridge.conf"),
}


def check_modules(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    results = []
    for name, state in sorted(facts.modules.items()):
        cid = f"module-{name}"
        if state in MODULE_STATES:
            results.append(passed(cid, "fail", f"Kernel module {name} {MODULE_STATES[state]}."))
        elif state == "unknown":
            results.append(problem(cid, "warn", f"Cannot tell whether kernel module {name} is available "
                                   "(this host shows neither /proc/modules nor /lib/modules).",
                                   f"Check with: modprobe {name}"))
        else:
            results.append(problem(
                cid, "fail",
                f"Kernel module {name} is not loaded, not built in, and not installed for kernel {facts.kernel_release}.",
                f"Install the kernel's extra modules package (it holds {name}.ko), then run: modprobe {name}"))
    return results


def check_sysctls(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    results = []
    for name, value in sorted(facts.sysctls.items()):
        want, fix = SYSCTL_FIXES[name]
        cid = f"sysctl-{name}"
        if value == want:
            results.append(passed(cid, "warn", f"{name} = {value}."))
        else:
            found = "is missing (its module is not loaded)" if value is None else f"is {value}"
            results.append(problem(cid, "warn", f"{name} {found}; Kubernetes pod networking needs {want}.",
                                   f"Run: {fix}"))
    return results


MODULES = Family("modules", "module-<name>",
                 "Kernel modules overlay and br_netfilter are loaded, built in or loadable", check_modules)
SYSCTLS = Family("sysctls", "sysctl-<name>",
                 "net.ipv4.ip_forward and net.bridge.bridge-nf-call-iptables are 1", check_sysctls)
