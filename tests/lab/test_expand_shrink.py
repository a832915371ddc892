"""Expand to 4, then shrink to 3: a 3-node install of `examples/hello` (flavor three, both workers
joined by command), then a fourth lab host runs the join command `./install status` prints and
becomes a Ready worker through the cluster service; `./install remove node-4` then drains it and
takes it out: it leaves `k3s kubectl get nodes`, and nothing Airlift put on it is left there.
"""

from __future__ import annotations

import shlex

import pytest

from tests.lab.steps import (
    INSTALL,
    STATE,
    install_three_by_command,
    unpack,
    wait_for,
)

pytestmark = pytest.mark.lab


def ready_nodes(first) -> list[str]:  # noqa: ANN001 - LabNode
    listed = first.check("k3s kubectl get nodes")
    return sorted(line.split()[0] for line in listed.splitlines()[1:] if " Ready " in f" {line} ")


def test_expand_to_four_nodes_then_shrink_to_three(lab_nodes, frozen_hello_bundle):
    first, second, third, fourth = lab_nodes(4)
    for node in (first, second, third, fourth):
        unpack(node, frozen_hello_bundle)
    install_three_by_command(first, second, third)
    wait_for(first, "cat /root/install.log.rc 2>/dev/null", lambda out: out.strip() != "", 600, also=(second, third))
    assert first.check("cat /root/install.log.rc").strip() == "0", first.check("cat /root/install.log")
    assert "✓ /cluster-service" in first.check("cat /root/install.log")

    # The cluster service took the agent port over; the installed workers' agents reconnected to it.
    for name in ("node-2", "node-3"):
        wait_for(first, "cat /var/log/airlift/airlift-cluster.log", lambda out, n=name: f"Node {n} " in out
                 and "reconnected" in out, 120)
    status = first.check(f"{INSTALL} status", env={"COLUMNS": "250"})
    command = next(line for line in status.splitlines() if line.strip().startswith("worker:  ./install join"))
    join4 = shlex.split(command.split(":  ", 1)[1])

    code, out = fourth.exec(shlex.join([INSTALL, *join4[1:]]), workdir="/")
    assert code == 0, out
    assert "as node node-4 (worker)" in out and "Service airlift-agent started" in out
    assert " ".join(out.split()).endswith("is now part of the cluster and Ready. Next: ./install status on the "
                                          "first master lists it."), out
    assert ready_nodes(first) == ["node-1", "node-2", "node-3", "node-4"]
    status = first.check(f"{INSTALL} status", env={"COLUMNS": "250"})
    assert "node-4 (worker" in status and "expand node-4: completed" in status
    wait_for(first, "cat /var/log/airlift/airlift-cluster.log", lambda out: "Node node-4 " in out
             and out.count("reconnected") >= 3, 60)

    code, out = first.exec(f"COLUMNS=250 {INSTALL} remove node-4 --yes", workdir="/")
    assert code == 0, out
    assert ready_nodes(first) == ["node-1", "node-2", "node-3"]
    assert "node-4" not in first.check("k3s kubectl get nodes")
    assert '"node-4"' not in first.check(f"cat {STATE}/nodes.json")
    # node 4 uninstalls itself in the background: no k3s, no agent service, no state folder
    wait_for(fourth, "test -e /var/lib/airlift || test -e /etc/airlift/services/airlift-agent.json "
             "|| pgrep -x k3s || pgrep -f '[-]-stay' || echo gone", lambda out: out.strip() == "gone", 120)
    assert fourth.exec("test -e /usr/local/bin/k3s")[0] != 0
