"""remove_node on loopback: the first master's k3s (stand-in) and agent listener in this process,
a node whose k3s agent and `airlift-agent` service run under a root of their own.

The node is drained, its agent removes k3s and answers, then uninstalls the rest in a detached
process that stops the very service the agent runs in; the node is deleted from Kubernetes and
from nodes.json, and its root ends empty. A node whose agent is gone fails at /leave naming
--force; with --force it is deleted anyway and the hand-cleaning command is printed.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

from installer.agent_hub import AgentHub
from installer.agent_hub.nodes import Node
from installer.answers import Answers
from installer.cluster_service import remove
from installer.errors import AirliftError
from installer.events import EventBus
from installer.host import Host
from installer.manifest import Flavor, FlavorNode, load_manifest
from installer.node_agent.identity import hostname
from installer.phases import removal
from installer.phases.inputs import PhaseInputs, RunOptions
from installer.plan import PlanStore
from installer.runtime import K3sRuntime, RuntimeConfig
from installer.services import manager_for
from tests.fixtures.net import free_port, wait_until

REPO = Path(__file__).resolve().parents[2]
STANDIN = REPO / "tests" / "k3s-standin" / "k3s"
FLAVOR = Flavor(name="three", description="", nodes=(FlavorNode("master", 1), FlavorNode("worker", 2)))
pytestmark = pytest.mark.integration


class Cluster:
    """The first master (`node-1`): its k3s, its agent listener, and the remove context."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.host, self.state = Host(tmp / "master-root"), tmp / "master-state"
        self.services = manager_for(self.host, self.state)
        self.runtime = K3sRuntime(self.host, self.services, self.state)
        self.api_port = free_port()
        self.runtime.install(STANDIN.open("rb"), {}, RuntimeConfig(
            node_name="node-1", node_ip="127.0.0.1", registry_url="http://127.0.0.1:1", mirrored_registries=[],
            api_port=self.api_port))
        self.runtime.start()
        self.bus = EventBus()
        self.events: list = []
        self.bus.add_sink(self.events.append)
        self.hub = AgentHub(self.bus, FLAVOR, "node-1", "master")
        self.hub.listen(self.state, "127.0.0.1", 0)
        self.nodes: list[tuple[Host, Path]] = []

    def context(self, hooks: dict | None = None, force: bool = False) -> PhaseInputs:
        manifest = load_manifest(REPO / "examples" / "hello" / "app.yaml")
        if hooks is not None:
            manifest = dataclasses.replace(manifest, hooks=hooks)
        return PhaseInputs(bundle=None, manifest=manifest, answers=Answers(hook_timeout=30),  # type: ignore[arg-type]
                           host=self.host, services=self.services, state_dir=self.state, bus=self.bus,
                           node="node-1", agents=self.hub, options=RunOptions(force=force))

    def start_node(self, name: str) -> tuple[Host, Path]:
        """k3s agent `name` joined to node-1, and (for this host's name) its airlift-agent service."""
        host, state = Host(self.tmp / f"{name}-root"), self.tmp / f"{name}-state"
        self.nodes.append((host, state))
        k3s = K3sRuntime(host, manager_for(host), state)
        k3s.install(STANDIN.open("rb"), {}, RuntimeConfig(
            node_name=name, node_ip="127.0.0.2", registry_url="http://127.0.0.1:1", mirrored_registries=[],
            role="agent", server_url=f"https://127.0.0.1:{self.api_port}", token=self.runtime.token()))
        k3s.start()
        self.runtime.wait_ready(name, 30)
        token_file = self.tmp / f"{name}-token"
        token_file.write_text(self.hub.token)
        token_file.chmod(0o600)
        manager_for(host).install("airlift-agent", [
            sys.executable, "-m", "installer", "join", f"127.0.0.1:{self.hub.port}", "--token-file", str(token_file),
            "--fingerprint", self.hub.fingerprint, "--advertise-addr", "127.0.0.2", "--role", "worker",
            "--state-dir", str(state), "--root", str(host.root)], env={"PYTHONPATH": str(REPO)})
        manager_for(host).start("airlift-agent")
        assert wait_until(lambda: self.hub.nodes.get(name) is not None, 30), "the node's agent did not join"
        return host, state

    def stop(self) -> None:
        """End everything started, whatever a test left running."""
        for host, state in self.nodes:
            services = manager_for(host)
            services.remove("airlift-agent")
            K3sRuntime(host, services, state).uninstall()
        self.hub.stop()
        self.runtime.uninstall()


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    c.runtime.wait_ready("node-1", 60)
    yield c
    c.stop()


def k8s_nodes(cluster: Cluster) -> set[str]:
    return {n["name"] for n in cluster.runtime.status()["nodes"]}


def test_a_node_drains_leaves_uninstalls_itself_and_is_deleted(cluster, tmp_path):
    name = hostname()
    host, state = cluster.start_node(name)
    store = PlanStore(tmp_path / "operation")
    remove.remove_node(cluster.context(), name, store)

    assert store.load().state == "completed"
    assert k8s_nodes(cluster) == {"node-1"}
    assert cluster.hub.nodes.get(name) is None
    assert name not in (cluster.state / "nodes.json").read_text()
    # The node uninstalls itself after answering: the agent's service, k3s and the state go.
    assert wait_until(lambda: not state.exists() and not manager_for(host).is_running("airlift-agent"), 60)
    assert wait_until(lambda: list(host.root.rglob("*")) == [], 10), list(host.root.rglob("*"))
    messages = [e.message for e in cluster.events]
    assert f"Node {name} left the cluster" in messages
    assert any(e.node == name and "k3s stopped and removed" in e.message for e in cluster.events)


def test_an_unreachable_node_fails_at_leave_then_force_takes_it_out(cluster, tmp_path, monkeypatch):
    monkeypatch.setattr(removal, "CONTACT_WAIT_S", 1.0)
    monkeypatch.setattr("installer.agent_hub.hub.POLL_WAIT_S", 0.5)  # "in contact" means seen within 0.75 s
    monkeypatch.setattr("installer.agent_hub.nodes.LOST_AFTER_S", 1.0)  # and lost after 1 s of silence
    name = hostname()
    host, state = cluster.start_node(name)
    manager_for(host).remove("airlift-agent")  # the node's agent is gone
    store = PlanStore(tmp_path / "operation")
    with pytest.raises(AirliftError) as err:
        remove.remove_node(cluster.context(), name, store)
    assert f"Phase /leave/{name} failed: Node {name} could not leave" in err.value.message
    assert f"./install remove {name} --force" in err.value.hint
    assert store.load().phase(f"/drain/{name}").state == "completed"
    assert name in k8s_nodes(cluster)

    remove.remove_node(cluster.context(force=True), name, store)  # the same operation, resumed with --force
    assert store.load().state == "completed"
    assert name not in k8s_nodes(cluster) and cluster.hub.nodes.get(name) is None
    warning = next(e for e in cluster.events if e.data.get("clean_by_hand") == name)
    assert warning.status == "warn" and "install uninstall" in warning.message
    assert json.loads((cluster.state / "nodes.json").read_text()) == []


def test_a_failing_pre_node_remove_hook_stops_the_remove_before_anything_changes(cluster, tmp_path):
    cluster.hub.nodes.join(Node(name="node-2", identity="id-2", address="127.0.0.2", profile="worker"))
    hook = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "before-leaving"},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
                {"name": "main", "image": "hello/absent:1.0", "command": ["sh", "-c", "echo bye"]}]}}}}
    store = PlanStore(tmp_path / "operation")
    with pytest.raises(AirliftError) as err:
        remove.remove_node(cluster.context({"preNodeRemove": hook}), "node-2", store)
    assert err.value.message.startswith("Phase /hooks/preNodeRemove failed: The preNodeRemove hook failed: "
                                      "Kubernetes gave up on job before-leaving")
    assert "./install remove node-2 again" in err.value.hint
    assert store.load().phase("/drain/node-2").state == "unstarted"
    assert cluster.hub.nodes.get("node-2") is not None
