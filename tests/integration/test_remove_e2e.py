"""`./install remove NODE` end to end on loopback: the cluster controller (`install _cluster`) of
an installed first master, a node with its k3s and its airlift-agent service under a root of its
own, and the command itself as a real process.

The first master's state is what an install leaves (plan completed, answers, the installed
manifest, the kept bundle, the list of joined nodes), with the k3s stand-in as its Kubernetes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from installer import answers as answers_mod
from installer.agent_hub import token as token_mod
from installer.agent_hub.nodes import JoinedNodes, Node
from installer.answers import Answers
from installer.bundle import Bundle
from installer.cluster_service.kept import keep_bundle
from installer.errors import AirliftError
from installer.host import Host
from installer.node_agent.client import AgentClient
from installer.node_agent.identity import hostname, identity
from installer.plan import PlanStore, build_install_plan
from installer.runtime import K3sRuntime, RuntimeConfig
from installer.services import manager_for
from installer.services.names import AGENT
from installer.statedir import StateDir
from installer.tls import ensure_certificate, saved_fingerprint
from tests.fixtures.net import free_port, listening, wait_until

REPO = Path(__file__).resolve().parents[2]
STANDIN = REPO / "tests" / "k3s-standin" / "k3s"
ENV = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
pytestmark = pytest.mark.integration


def installed_state(state: Path, bundle_dir: Path, agent_port: int, api_port: int) -> None:
    """The first master's state folder as a completed install of flavor `three` leaves it."""
    store = PlanStore(state)
    plan = build_install_plan("node-1", [hostname()])
    store.create(plan)
    for phase in plan.phases:
        store.record(phase.id, "completed")
    paths = StateDir(state)
    paths.app.mkdir()
    shutil.copyfile(bundle_dir / "app.yaml", paths.app_manifest)
    answers_mod.save(Answers(flavor="three", profile="master", advertise_addr="127.0.0.1", agent_port=agent_port,
                             api_port=api_port, accept_eula=True), paths.answers)
    keep_bundle(Bundle.open(bundle_dir), state)
    token_mod.load_or_create(state)
    token_mod.load_or_create_admin(state)
    ensure_certificate(state, "127.0.0.1")


def remove(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "installer", "remove", *args, "--yes", "--state-dir", str(state)],
                          capture_output=True, text=True, timeout=300, cwd=REPO, env=ENV, stdin=subprocess.DEVNULL)


@pytest.fixture
def cluster(hello_bundle_dir, tmp_path):
    state, master = tmp_path / "state", Host(tmp_path / "master-root")
    agent_port, api_port = free_port(), free_port()
    state.mkdir(mode=0o700)
    installed_state(state, hello_bundle_dir, agent_port, api_port)
    registry = JoinedNodes()  # this host joined as a worker during the install
    registry.attach(state)
    registry.join(Node(name=hostname(), identity=identity(Host(tmp_path / "node-root"), tmp_path / "node-state"),
                       address="127.0.0.2", profile="worker"))
    k3s = K3sRuntime(master, manager_for(master), state)
    k3s.install(STANDIN.open("rb"), {}, RuntimeConfig(node_name="node-1", node_ip="127.0.0.1",
                                                      registry_url="http://127.0.0.1:1", mirrored_registries=[],
                                                      api_port=api_port))
    k3s.start()
    controller = subprocess.Popen([sys.executable, "-m", "installer", "_cluster", "--state-dir", str(state),
                                   "--root", str(master.root)], env=ENV, stdout=subprocess.DEVNULL,
                                  stderr=open(tmp_path / "controller.log", "w"))  # noqa: SIM115
    try:
        k3s.wait_ready("node-1", 60)
        assert wait_until(lambda: listening(agent_port), 30), (tmp_path / "controller.log").read_text()
        yield state, k3s, agent_port, api_port
    finally:
        node = Host(tmp_path / "node-root")  # whatever a failed test left running there
        services = manager_for(node)
        services.remove("airlift-agent")
        K3sRuntime(node, services, tmp_path / "node-state").uninstall()
        controller.terminate()
        controller.wait(10)
        k3s.uninstall()


def start_node(tmp: Path, state: Path, k3s: K3sRuntime, agent_port: int, api_port: int) -> tuple[str, Host, Path]:
    """This host as the joined worker: its k3s agent and its airlift-agent service."""
    name, host, node_state = hostname(), Host(tmp / "node-root"), tmp / "node-state"
    services = manager_for(host)
    runtime = K3sRuntime(host, services, node_state)
    runtime.install(STANDIN.open("rb"), {}, RuntimeConfig(
        node_name=name, node_ip="127.0.0.2", registry_url="http://127.0.0.1:1", mirrored_registries=[],
        role="agent", server_url=f"https://127.0.0.1:{api_port}", token=k3s.token()))
    runtime.start()
    k3s.wait_ready(name, 30)
    token_file = tmp / "node-token"
    token_file.write_text(StateDir(state).join_token.read_text())
    token_file.chmod(0o600)
    services.install(AGENT, [
        sys.executable, "-m", "installer", "join", f"127.0.0.1:{agent_port}", "--token-file", str(token_file),
        "--fingerprint", str(saved_fingerprint(state)), "--advertise-addr", "127.0.0.2", "--role", "worker",
        "--state-dir", str(node_state), "--root", str(host.root)], env={"PYTHONPATH": str(REPO)})
    services.start(AGENT)
    return name, host, node_state


def test_remove_drains_the_node_it_leaves_and_is_gone(cluster, tmp_path):
    state, k3s, agent_port, api_port = cluster
    name, host, node_state = start_node(tmp_path, state, k3s, agent_port, api_port)

    refused = remove(state, "node-1")
    assert refused.returncode == 2 and "first master" in refused.stdout
    unknown = remove(state, "ghost")
    assert unknown.returncode == 2 and "Node ghost is not a node of this cluster" in unknown.stdout
    assert name in unknown.stdout, "the known nodes are listed"

    done = remove(state, name)
    assert done.returncode == 0, done.stdout + done.stderr
    for phase in (f"/drain/{name}", f"/leave/{name}", f"/delete/{name}"):
        assert f"✓ {phase}" in done.stdout
    assert f"Node {name} was removed from the cluster" in done.stdout
    assert {n["name"] for n in k3s.status()["nodes"]} == {"node-1"}
    assert json.loads((state / "nodes.json").read_text()) == []
    assert wait_until(lambda: not node_state.exists() and list(host.root.rglob("*")) == [], 60)
    operations = list((state / "operations").iterdir())
    assert len(operations) == 1 and PlanStore(operations[0]).load().state == "completed"


def test_the_join_token_admits_a_node_and_nothing_else(cluster, tmp_path):
    """Every node holds the join token: removing a node needs the admin token, which only the
    first master holds; the admin token in turn is no join token."""
    state, _k3s, agent_port, _api_port = cluster
    paths, fingerprint = StateDir(state), saved_fingerprint(state)

    def client(token: str) -> AgentClient:
        return AgentClient("127.0.0.1", agent_port, token, fingerprint, tmp_path / "client")

    join_token, admin_token = paths.join_token.read_text().strip(), paths.admin_token.read_text().strip()
    with pytest.raises(AirliftError, match="the join token admits a node and nothing else; operate needs the "
                                           "admin credential") as err:
        client(join_token).call("operate", {"operation": "remove", "node": hostname()})
    assert "./install remove" in (err.value.hint or "")
    with pytest.raises(AirliftError, match="refused the join token"):
        client("guess").call("operation", {"id": "x"})
    with pytest.raises(AirliftError, match="refused the join token"):
        client(admin_token).call("poll", {"node": hostname()})
    assert oct(paths.admin_token.stat().st_mode & 0o777) == "0o600"
    operations = state / "operations"
    assert not operations.exists() or not any(operations.iterdir()), "the join token started an operation"


def test_a_failed_remove_carries_on_where_it_stopped_when_run_again(cluster, tmp_path):
    state, k3s, agent_port, api_port = cluster
    name, host, node_state = start_node(tmp_path, state, k3s, agent_port, api_port)
    k3s.delete_node(name)  # someone deleted it from Kubernetes already: it cannot be drained

    failed = remove(state, name)
    assert failed.returncode == 2
    assert f"Kubernetes could not drain node {name}" in failed.stdout
    assert f"./install remove {name} --force" in failed.stdout and "Traceback" not in failed.stdout

    done = remove(state, name, "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "It could not be drained" in done.stdout and "it is as before the install" in done.stdout
    operations = list((state / "operations").iterdir())
    assert len(operations) == 1, "the same operation carried on"
    plan = PlanStore(operations[0]).load()
    assert plan.state == "completed" and cluster_nodes(state) == []
    assert wait_until(lambda: not node_state.exists() and list(host.root.rglob("*")) == [], 60)


def cluster_nodes(state: Path) -> list[str]:
    return [n["name"] for n in json.loads((state / "nodes.json").read_text())]
