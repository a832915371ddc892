"""The registry of check families: run them all over one host's facts, honouring skips."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from installer.checks.custom import CUSTOM
from installer.checks.dirs import DEVICES, STATE_DIR, TEMPDIR
from installer.checks.disk_latency import DISK_LATENCY
from installer.checks.dns import DNS
from installer.checks.hardware import CPU, RAM
from installer.checks.interfaces import INTERFACES
from installer.checks.kernel import MODULES, SYSCTLS
from installer.checks.kernel_support import KERNEL
from installer.checks.leftovers import LEFTOVERS
from installer.checks.limits import LIMITS
from installer.checks.network import BANDWIDTH_ID, CLOCK_PAIRS_ID, PORTS_ID
from installer.checks.os_release import OS
from installer.checks.ports import PORTS
from installer.checks.processes import PROCESSES, SWAP
from installer.checks.result import CheckResult, Family
from installer.checks.routing import ADDRESS_RANGES, DEFAULT_ROUTE
from installer.checks.security import SECURITY
from installer.checks.time_sync import TIME_SYNC
from installer.checks.volumes import VOLUMES
from installer.facts import Facts
from installer.manifest.models import NodeProfile

log = logging.getLogger(__name__)

CHECKS: tuple[Family, ...] = (
    CPU, RAM, OS, VOLUMES, PORTS, MODULES, SYSCTLS, SWAP, PROCESSES, DEVICES, CUSTOM, TEMPDIR, STATE_DIR,
    # What breaks real k3s installs (k3s's requirements and air-gap notes, its issue tracker, etcd's
    # disk guidance, the CIS hardening guide): each with the exact fix.
    DEFAULT_ROUTE, ADDRESS_RANGES, DISK_LATENCY, KERNEL, TIME_SYNC, DNS, SECURITY, LIMITS, INTERFACES, LEFTOVERS,
)

# Checks run by the installer on the other nodes, not over one host's facts: listed and skippable.
CLOCK_DRIFT = "clock-drift"
NODE_CHECKS: tuple[tuple[str, str], ...] = (
    (CLOCK_DRIFT, "Multi-node: each joined node's clock against the installer's, taken when its agent "
                  f"answers. Checks: {CLOCK_DRIFT}."),
    (PORTS_ID, "Multi-node: every node reaches every other on the ports its profile and Airlift need "
               f"(large ranges sampled). Checks: {PORTS_ID}."),
    (BANDWIDTH_ID, "Multi-node: a short transfer between neighbours of a ring of the nodes meets the "
                   f"profiles' network.minTransferRate. Checks: {BANDWIDTH_ID}."),
    (CLOCK_PAIRS_ID, "Multi-node: the clocks of every pair of nodes agree within 300 ms. "
                     f"Checks: {CLOCK_PAIRS_ID}."),
)


def run_checks(facts: Facts, profile: NodeProfile, skip: Iterable[str] = ()) -> list[CheckResult]:
    """Every check's result for this host against `profile`, in a stable order.

    `skip` holds check ids (`ram-min`, `port-tcp-6443`) or family ids (`ports`); a skipped check
    is still listed, with status "skipped", so the skip shows wherever results are shown.
    """
    skip = set(skip)
    results = []
    for family in CHECKS:
        for result in family.run(facts, profile):
            if result.id in skip or family.id in skip:
                log.info("check %s skipped at the operator's request", result.id)
                result = CheckResult(result.id, result.severity, "skipped",
                                     f"Skipped at the operator's request (was: {result.status}).")
            results.append(result)
    return results


def describe_checks() -> list[tuple[str, str]]:
    """(family id, description naming the family's check ids), for `./install check --list`."""
    return [(family.id, f"{family.description}. Checks: {family.pattern}.") for family in CHECKS] + list(NODE_CHECKS)


def unknown_skips(skip: Iterable[str], results: Iterable[CheckResult]) -> list[str]:
    """Skip ids that name no check here and no family, so a typo is reported, not ignored."""
    known = {r.id for r in results} | {family.id for family in CHECKS} | {check_id for check_id, _ in NODE_CHECKS}
    return sorted(set(skip) - known)


def blocking(results: Iterable[CheckResult]) -> list[CheckResult]:
    """The results that stop the install."""
    return [r for r in results if r.status == "fail"]
