"""Three masters, one install: node 1 runs `./install --cli --flavor ha` of examples/hello, nodes 2
and 3 run its master join command. Node 1 starts k3s with embedded etcd (cluster-init), the two
others join it as k3s servers with the full K10 token node 1's k3s wrote, and all three end as
Ready etcd masters. The checks across nodes dial etcd's ports between the masters, and every
check line of the terminal names its node.
"""

from __future__ import annotations

import re

import pytest
import yaml

from tests.lab.steps import STATE, install_by_command, unpack, wait_for

pytestmark = pytest.mark.lab


def test_three_masters_on_embedded_etcd(lab_nodes, frozen_hello_bundle):
    first, second, third = lab_nodes(3)
    for node in (first, second, third):
        unpack(node, frozen_hello_bundle)
    printed = install_by_command(first, (second, third), "ha", "master")
    assert "master (2 needed)" in printed, printed
    wait_for(first, "cat /root/install.log.rc 2>/dev/null", lambda out: out.strip() != "", 600, also=(second, third))
    log = first.check("cat /root/install.log")
    assert first.check("cat /root/install.log.rc").strip() == "0", log
    assert "Installed hello 1.0.0" in log

    listed = first.check("k3s kubectl get nodes")
    rows = [line.split() for line in listed.splitlines()[1:]]
    assert sorted((r[0], r[1], r[2]) for r in rows) == [
        (f"node-{i}", "Ready", "control-plane,etcd,master") for i in (1, 2, 3)], listed

    assert yaml.safe_load(first.check("cat /etc/rancher/k3s/config.yaml"))["cluster-init"] is True
    full = first.check("cat /var/lib/rancher/k3s/server/token").strip()
    assert re.fullmatch(r"K10[0-9a-f]{64}::server:\S+", full)
    for node in (second, third):
        joined = yaml.safe_load(node.check("cat /etc/rancher/k3s/config.yaml"))
        assert joined["server"] == f"https://{first.address}:6443" and "cluster-init" not in joined
        assert joined["token"] == full, f"{node.name} joined without the full token that checks node 1's CA"

    # Each of the three masters dialled the other two on etcd's client and peer ports.
    assert "network-ports: Each of the 3 nodes reaches every other on the ports it needs" in log, log
    for name in ("node-1", "node-2", "node-3"):
        assert re.search(rf"✓ \[{name}\] \S+: ", log), f"no check line names {name}:\n{log}"
    events = first.check(f"cat {STATE}/events.jsonl")
    password = full.rsplit(":", 1)[1]
    assert password not in events and password not in log
