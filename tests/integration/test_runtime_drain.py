"""Draining and deleting a node through K3sRuntime, against the k3s stand-in with two agents.

A drained node is cordoned and its pods move to the other nodes; a deleted node whose k3s is
stopped stays gone, and one whose k3s still runs comes back only when that k3s restarts (as a
real kubelet registers its node at start), which is why a leaving node's k3s is stopped first.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from installer.errors import AirliftError
from installer.host import Host
from installer.runtime import K3sRuntime, RuntimeConfig
from installer.services import manager_for
from tests.fixtures.net import free_port, wait_until

STANDIN = Path(__file__).resolve().parents[2] / "tests" / "k3s-standin" / "k3s"
pytestmark = pytest.mark.integration


class Agents:
    """Stand-in k3s agents joining the server, started and stopped by name."""

    def __init__(self, runtime: K3sRuntime, port: int, tmp: Path) -> None:
        self.runtime, self.port, self.tmp = runtime, port, tmp
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> None:
        none = self.tmp / "none.yaml"
        self.procs[name] = subprocess.Popen(
            [sys.executable, str(STANDIN), "agent", "--server", f"https://127.0.0.1:{self.port}",
             "--token", str(self.runtime.token()), "--node-name", name, "--data-dir", str(self.tmp / name),
             "--private-registry", str(none), "--config", str(none)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("drain")
    host = Host(tmp / "root")
    runtime = K3sRuntime(host, manager_for(host), tmp / "state")
    port = free_port()
    config = RuntimeConfig(node_name="node-1", node_ip="127.0.0.1", registry_url="http://127.0.0.1:1",
                           mirrored_registries=[], api_port=port)
    runtime.install(STANDIN.open("rb"), {}, config)
    runtime.start()
    agents = Agents(runtime, port, tmp)
    try:
        runtime.wait_ready("node-1", 60)
        for name in ("node-2", "node-3"):
            agents.start(name)
            runtime.wait_ready(name, 30)
        yield runtime, agents
    finally:
        for name in list(agents.procs):
            agents.stop(name)
        runtime.uninstall()


def pods(runtime: K3sRuntime) -> dict[str, str]:
    items = json.loads(runtime.kubectl(["get", "pods", "-o", "json"]))["items"]
    return {p["metadata"]["name"]: p["spec"]["nodeName"] for p in items}


def test_a_drained_node_is_cordoned_and_its_pods_move_elsewhere(cluster, tmp_path):
    runtime, _ = cluster
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                  "spec": {"replicas": 3, "template": {"spec": {"containers": []}}}}
    (tmp_path / "web.yaml").write_text(yaml.safe_dump(deployment))
    runtime.apply([tmp_path / "web.yaml"])
    runtime.kubectl(["wait", "--for=condition=available", "deployment/web", "--timeout=30s"])
    assert wait_until(lambda: sorted(pods(runtime).values()) == ["node-1", "node-2", "node-3"], 10)

    runtime.drain("node-3", 30)
    placed = pods(runtime)
    assert len(placed) == 3 and "node-3" not in placed.values() and "" not in placed.values()
    node = json.loads(runtime.kubectl(["get", "node", "node-3", "-o", "json"]))
    assert node["spec"]["unschedulable"] is True
    assert "Ready,SchedulingDisabled" in runtime.kubectl(["get", "nodes"])
    runtime.drain("node-3", 30)  # safe to run twice


def test_draining_an_unknown_node_names_it(cluster):
    runtime, _ = cluster
    with pytest.raises(AirliftError) as err:
        runtime.drain("node-9", 10)
    assert "node-9" in err.value.message and "not found" in (err.value.details or "")


def test_a_deleted_node_stays_gone_until_its_running_k3s_restarts(cluster):
    runtime, agents = cluster
    runtime.delete_node("node-2")
    assert "node-2" not in {n["name"] for n in runtime.status()["nodes"]}
    # Its agent still runs and sends heartbeats, but a kubelet registers only at start.
    assert not wait_until(lambda: "node-2" in {n["name"] for n in runtime.status()["nodes"]}, 5)
    agents.stop("node-2")
    agents.start("node-2")  # a restart (the service's Restart=always) registers it again
    runtime.wait_ready("node-2", 30)
    agents.stop("node-2")
    runtime.delete_node("node-2")
    runtime.delete_node("node-2")  # already gone: nothing to do
    assert {n["name"] for n in runtime.status()["nodes"]} == {"node-1", "node-3"}
