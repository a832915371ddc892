"""fsync latency where etcd and the registry write, on the nodes that run them (masters).

etcd's guidance: the 99th percentile of WAL fdatasync should stay under 10 ms; above that,
heartbeats are late, leaders change and the API server stalls. The volume's throughput against
minTransferRate stays with the volumes checks.
"""

from __future__ import annotations

from installer.checks.result import CheckResult, Family, passed, problem
from installer.facts import Facts
from installer.manifest.models import NodeProfile

LIMIT_MS = 10.0
WHAT = {"state": "the registry's storage and Airlift's state", "k3s-data": "k3s's data, etcd included"}


def check_disk_latency(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    results = []
    for probe in facts.fsync:
        cid, what = f"disk-latency-{probe.name}", WHAT.get(probe.name, probe.name)
        where = f"{probe.path} ({what}, measured in {probe.probed_path})"
        if probe.p99_ms is None:
            results.append(problem(cid, "warn", f"Could not measure the fsync latency at {where}: {probe.error}.",
                                   f"Measure it by hand: fio --rw=write --ioengine=sync --fdatasync=1 "
                                   f"--directory={probe.probed_path} --size=22m --bs=2300 --name=etcd-check"))
        elif probe.p99_ms > LIMIT_MS:
            results.append(problem(
                cid, "warn",
                f"fsync takes {probe.p99_ms:.1f} ms at the 99th percentile of {probe.samples} synced 4 KiB writes "
                f"at {where}; etcd on a master needs under {LIMIT_MS:.0f} ms, or leaders change and the API "
                "server stalls under load.",
                f"Put {probe.path} on a local SSD (a faster disk mounted there), not on network or shared "
                "storage; or accept slower control-plane responses and skip this check."))
        else:
            results.append(passed(cid, "warn", f"fsync takes {probe.p99_ms:.1f} ms at the 99th percentile at {where} "
                                               f"(etcd needs under {LIMIT_MS:.0f} ms)."))
    return results


DISK_LATENCY = Family("disk-latency", "disk-latency-<state|k3s-data>",
                      "On a master: the 99th percentile fsync latency of small synced writes where the registry "
                      "and etcd write stays under 10 ms (warn, with the figure)", check_disk_latency)
