"""No secret crosses the LAN in cleartext. Everything three lab hosts send each other during a
`flavor three` install (two workers joined by command) is captured with tcpdump on the lab
network's bridge on this machine; the capture holds neither the join token nor any 64-byte run
of the bundle files that travel (the runtime every worker receives, the image layers).
"""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.lab import LabNetwork
from tests.lab.steps import install_three_by_command, join_command, unpack, wait_for

pytestmark = pytest.mark.lab

RUN = 64
RUNS_PER_FILE = 16


def known_runs(bundle_dir: Path) -> dict[str, bytes]:
    """Distinctive runs of the stored bytes of the runtime and the image blobs, by where they are
    from: in cleartext, nearly every run would show whole in some packet."""
    runs = {}
    files = [p for top in ("runtime", "images") for p in (bundle_dir / top).rglob("*")
             if p.is_file() and p.stat().st_size >= 8 * RUN * RUNS_PER_FILE]
    for path in files:
        data = path.read_bytes()
        for i in range(1, RUNS_PER_FILE + 1):
            at = len(data) * i // (RUNS_PER_FILE + 2)
            runs[f"{path.relative_to(bundle_dir)}@{at}"] = data[at:at + RUN]
    assert any(name.startswith("runtime/k3s") for name in runs), sorted(runs)
    return runs


def start_capture(network: LabNetwork, pcap: Path) -> subprocess.Popen:
    """tcpdump on the network's bridge (promiscuous: it sees traffic between the containers too)."""
    bridge = f"br-{network.network.id[:12]}"
    proc = subprocess.Popen(["tcpdump", "-i", bridge, "-s", "0", "-U", "-w", str(pcap)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert "listening on" in line, f"tcpdump did not start on {bridge}: {line}"
    return proc


def test_the_lan_carries_neither_the_join_token_nor_the_bundles_bytes(lab_nodes, lab_network, frozen_hello_bundle,
                                                                      hello_bundle_dir, tmp_path):
    first, second, third = lab_nodes(3)
    for node in (first, second, third):
        unpack(node, frozen_hello_bundle)
    pcap = tmp_path / "lan.pcap"
    marker = f"cleartext-marker-{secrets.token_hex(16)}"
    tcpdump = start_capture(lab_network, pcap)
    try:
        printed = install_three_by_command(first, second, third)
        wait_for(first, "cat /root/install.log.rc 2>/dev/null", lambda out: out.strip() != "", 600,
                 also=(second, third))
        # The control: bytes sent in the clear from one node to another must show in the capture.
        second.check(f"bash -c 'exec 3<>/dev/tcp/{first.address}/22; echo {marker} >&3; sleep 1'")  # to sshd
    finally:
        tcpdump.terminate()
        stats = tcpdump.communicate(timeout=10)[1]
    log = first.check("cat /root/install.log")
    assert first.check("cat /root/install.log.rc").strip() == "0", log
    argv = join_command(printed, "worker")
    token = argv[argv.index("--token") + 1]

    captured = pcap.read_bytes()
    runtime = sum(p.stat().st_size for p in (hello_bundle_dir / "runtime").glob("k3s*"))
    assert marker.encode() in captured, f"the capture misses traffic between the nodes: {stats}"
    assert len(captured) > runtime, f"the capture missed the runtime's way to the workers: {stats}"
    assert token.encode() not in captured, "the join token crossed the LAN in cleartext"
    seen = [name for name, run in known_runs(hello_bundle_dir).items() if run in captured]
    assert seen == [], f"bundle bytes crossed the LAN in cleartext: {seen[:5]}"
