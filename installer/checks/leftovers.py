"""What an earlier k3s or Airlift install left: a new cluster on top of its data, iptables
chains or mounts fails far from the cause. Each finding names what is left and the command
that clears it.
"""

from __future__ import annotations

from installer.checks.result import CheckResult, Family, passed, problem
from installer.facts import Facts
from installer.manifest.models import NodeProfile

SHOWN = 6
UNMOUNT = ("grep -E ' /(var/lib/kubelet|run/k3s|run/netns/cni-)' /proc/self/mounts | cut -d' ' -f2 | sort -r "
           "| xargs -r umount")


def _uninstall(facts: Facts) -> str:
    """The command that clears an earlier install: another Airlift's own, k3s's script, else this bundle's."""
    left = facts.leftovers
    other = next((p for p in left.paths if p.endswith("/airlift")), None)
    if other:
        return f"./install uninstall --state-dir {other} (from the bundle that installed it, or this one)"
    script = next((u for u in left.uninstallers if u.endswith("uninstall.sh")), None)
    if script:
        return script
    return "./install uninstall (it removes what k3s-killall.sh and k3s-uninstall.sh remove)"


def _listed(items: list[str]) -> str:
    more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more


def check_leftover_files(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    paths = facts.leftovers.paths
    if not paths:
        return [passed("leftover-files", "fail", "No data of an earlier k3s or Airlift install is left.")]
    return [problem("leftover-files", "fail",
                    f"An earlier install left {_listed(paths)}: k3s would start with the old cluster's data "
                    "(its etcd members, certificates and pods).",
                    f"Clear it with: {_uninstall(facts)}")]


def check_leftover_chains(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    left = facts.leftovers
    if left.chains_error:
        return [problem("leftover-iptables", "warn", f"Cannot read the iptables rules: {left.chains_error}.",
                        "Run the checks as root, or look by hand: iptables-save | grep -E 'KUBE-|CNI-|FLANNEL'")]
    if not left.chains:
        return [passed("leftover-iptables", "fail", "No KUBE-, CNI- or FLANNEL iptables chain is left.")]
    return [problem("leftover-iptables", "fail",
                    f"iptables chains of an earlier cluster are left: {_listed(left.chains)}; their rules would "
                    "redirect or drop the new cluster's traffic.",
                    f"Clear them with: {_uninstall(facts)} — or, for the chains alone: iptables-save | grep -v KUBE- "
                    "| grep -v CNI- | grep -iv flannel | iptables-restore")]


def check_leftover_mounts(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    mounts = facts.leftovers.mounts
    if not mounts:
        return [passed("leftover-mounts", "fail", "Nothing is mounted under /var/lib/kubelet or /run/k3s.")]
    return [problem("leftover-mounts", "fail",
                    f"An earlier cluster's mounts are left: {_listed(mounts)}.",
                    f"Clear them with: {_uninstall(facts)} — or unmount them, deepest first: {UNMOUNT}")]


def check_leftovers(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    return [*check_leftover_files(facts, profile), *check_leftover_chains(facts, profile),
            *check_leftover_mounts(facts, profile)]


LEFTOVERS = Family("leftovers", "leftover-files, leftover-iptables, leftover-mounts",
                   "No data folder of an earlier k3s or Airlift install, no KUBE-/CNI-/FLANNEL iptables chain and "
                   "no mount under /var/lib/kubelet or /run/k3s is left (fail, with the uninstall command)",
                   check_leftovers)
