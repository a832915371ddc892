"""Other Kubernetes node software already running: swap, and processes that would conflict."""

from __future__ import annotations

from installer.checks.result import CheckResult, Family, passed, problem, size
from installer.facts import Facts
from installer.manifest.models import NodeProfile

# name -> (severity, why it matters, how to stop it)
CONFLICTS = {
    "kubelet": ("fail", "another Kubernetes runs on this host and holds the kubelet's ports",
                "systemctl disable --now kubelet"),
    "k3s": ("fail", "a k3s is already running on this host",
            "systemctl disable --now k3s (or run /usr/local/bin/k3s-killall.sh)"),
    "dockerd": ("warn", "k3s brings its own containerd, but Docker's iptables rules (FORWARD policy DROP) "
                "can block pod traffic", "systemctl disable --now docker.socket docker"),
    "containerd": ("warn", "k3s runs its own containerd; another one competes for the same resources",
                   "systemctl disable --now containerd"),
}


def check_processes(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    results = []
    for name, (severity, why, stop) in CONFLICTS.items():
        running = [p for p in facts.processes if p.name == name]
        cid = f"process-{name}"
        if not running:
            results.append(passed(cid, severity, f"{name} is not running."))
            continue
        pids = " ".join(str(p.pid) for p in running)
        shown = running[0].cmdline[:80] or name
        results.append(problem(cid, severity, f"{name} is running (PID {pids}: {shown}): {why}.",
                               f"Stop it with: {stop} — or kill {pids}. If you keep it, skip this check."))
    return results


def check_swap(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    if facts.swap_total_bytes == 0:
        return [passed("swap", "warn", "Swap is off.")]
    return [problem("swap", "warn",
                    f"Swap is on ({size(facts.swap_total_bytes)}): Kubernetes memory limits are less "
                    "predictable when pods can be swapped out.",
                    "Run: swapoff -a, and remove the swap lines from /etc/fstab.")]


PROCESSES = Family("processes", "process-<kubelet|k3s|dockerd|containerd>",
                   "No other kubelet or k3s runs (fail); dockerd and containerd are reported (warn)",
                   check_processes)
SWAP = Family("swap", "swap", "Swap is off (warn)", check_swap)
