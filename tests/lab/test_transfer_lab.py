"""A worker loses its connection mid-transfer and resumes: `flavor three`, both workers joined
by command; node 2's incoming traffic is slowed with tc (its ingress redirected through an ifb
device shaped by tbf) so its /distribute phase takes several seconds, then cut: the ifb device
goes down (every packet to node 2 is dropped, new connections hang) and the node's open
connections are killed with `ss -K`. Restored a few seconds later, the node fetches the rest of
the blob from where it stopped: its partial file never shrinks. The install completes.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.fixtures.lab import LabNode
from tests.lab.steps import STATE, install_three_by_command, unpack, wait_for

pytestmark = pytest.mark.lab

PARTIALS = f"{STATE}/blobs/partial"
# Slow enough that the runtime's blobs take several seconds, fast enough to keep the test short.
SHAPE = ("ip link add ifb0 type ifb && ip link set ifb0 up"
         " && tc qdisc add dev eth0 handle ffff: ingress"
         " && tc filter add dev eth0 parent ffff: protocol all u32 match u32 0 0"
         " action mirred egress redirect dev ifb0"
         " && tc qdisc add dev ifb0 root tbf rate 8mbit burst 32kb latency 200ms")
CUT_S = 4


def partial_sizes(node: LabNode) -> dict[str, int]:
    """The partial files of blobs being received on `node`, by name, with their sizes. A look that
    fails (the exec's shell killed, say) fails the test: read as "no partial file" it would pass
    for a commit, and the store would then be searched for a blob still arriving."""
    out = node.check(f"test ! -d {PARTIALS} || find {PARTIALS} -ignore_readdir_race -mindepth 1 -maxdepth 1"
                     " -type f -printf '%f %s\\n'")
    return {name: int(size) for name, size in (line.split() for line in out.splitlines() if line.strip())}


def wait_mid_transfer(node: LabNode, at_least: int, timeout: float) -> str:
    """The name of a blob `node` is receiving once it holds `at_least` bytes of it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        grown = [name for name, size in partial_sizes(node).items() if size >= at_least]
        if grown:
            return grown[0]
        time.sleep(0.2)
    raise AssertionError(f"{node.name}: no blob reached {at_least} bytes within {timeout:.0f}s; "
                         f"join log:\n{node.exec('cat /root/join.log')[1]}")


def sizes_until_committed(node: LabNode, blob: str, timeout: float, installer: LabNode) -> list[int]:
    """Sizes of the partial file of `blob` on `node` sampled until it is gone (committed to the
    store); on timeout the failure shows the node's join log and the `installer` node's log."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        size = partial_sizes(node).get(blob)
        if size is None:
            return seen
        seen.append(size)
        time.sleep(0.2)
    raise AssertionError(f"{node.name}: blob {blob} still partial after {timeout:.0f}s at {seen[-1:]} bytes; "
                         f"join log:\n{node.exec('tail -n 30 /root/join.log')[1]}\n"
                         f"install log:\n{installer.exec('tail -n 30 /root/install.log')[1]}")


def test_a_worker_cut_off_mid_transfer_resumes_and_the_install_completes(lab_nodes, frozen_hello_bundle):
    first, second, third = lab_nodes(3)
    for node in (first, second, third):
        unpack(node, frozen_hello_bundle)
    second.check(SHAPE)
    install_three_by_command(first, second, third)

    blob = wait_mid_transfer(second, 1 << 20, 240)
    second.check("ip link set ifb0 down")
    killed = second.check(f"ss -tnK dst {first.address.rsplit('.', 1)[0]}.0/24")
    assert "ESTAB" in killed, f"no connection of node 2 was open to cut:\n{killed}"
    time.sleep(1)
    stalled = partial_sizes(second).get(blob)
    time.sleep(CUT_S - 1)
    assert stalled is not None, "the blob was committed while node 2 was cut off"
    assert partial_sizes(second).get(blob) == stalled, "bytes still arrived while node 2 was cut off"
    second.check("ip link set ifb0 up")

    after = sizes_until_committed(second, blob, 120, first)
    # No sample (the blob committed before the first look) would prove nothing either way.
    assert after, f"node 2's partial file of {blob} was gone at the first look after the cut: resumed or restarted?"
    assert all(size >= stalled for size in after), f"the transfer restarted instead of resuming: {stalled} -> {after}"
    assert second.exec(f"test -s {STATE}/blobs/sha256/{blob}")[0] == 0, \
        f"blob {blob} not in node 2's store; join log:\n{second.exec('tail -n 30 /root/join.log')[1]}"

    wait_for(first, "cat /root/install.log.rc 2>/dev/null", lambda out: out.strip() != "", 300, also=(second, third))
    log = first.check("cat /root/install.log")
    assert first.check("cat /root/install.log.rc").strip() == "0", log
    assert "Installed hello 1.0.0" in log
    listed = first.check("k3s kubectl get nodes")
    assert sorted(line.split()[0] for line in listed.splitlines()[1:] if " Ready " in f" {line} ") == \
        ["node-1", "node-2", "node-3"], listed

    events = [json.loads(line) for line in first.check(f"cat {STATE}/events.jsonl").splitlines() if line.strip()]
    verified = {e.get("phase") for e in events if "received and verified by sha256" in str(e.get("message"))}
    assert {"/distribute/node-2", "/distribute/node-3"} <= verified, verified
