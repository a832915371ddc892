"""Day two on one machine: a one-node install starts the cluster service (`airlift-cluster`), and
a host that runs the join command afterwards is checked, receives the runtime from the first
master's blob store (the bundle folder is gone by then), joins Kubernetes as a worker and keeps
an `airlift-agent` service. Joins with a wrong token, an unknown profile, or a profile whose
expandPolicy is `fixed` are refused on the joining host, which exits non-zero.

The joining "host" is a root prefix, a state folder and its own hostname (a UTS namespace, so
Kubernetes sees another node) with its own loopback address, 127.0.0.2.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import yaml

from installer.host import Host
from installer.plan import PlanStore
from installer.services.supervised import SupervisedServices
from installer.statedir import StateDir
from installer.tls import saved_fingerprint
from tests.fixtures.net import wait_until
from tests.integration.installer_run import REPO, Target, leftover_processes

pytestmark = pytest.mark.integration

NODE = "airlift-expand-node"


class Joiner:
    """A host that runs `./install join` against the installed cluster."""

    def __init__(self, tmp, target: Target, name: str, address: str) -> None:
        self.target, self.name, self.address = target, name, address
        self.root, self.state = tmp / f"{name}-root", tmp / f"{name}-state"
        self.root.mkdir()

    def join(self, role: str, token_file, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "installer", "join", f"127.0.0.1:{self.target.agent_port}",
                "--token-file", str(token_file), "--fingerprint", cert_fingerprint(self.target), "--role", role,
                "--advertise-addr", self.address, "--state-dir", str(self.state), "--root", str(self.root)]
        script = f'hostname {self.name} && exec "$@"'
        return subprocess.run(["unshare", "--uts", "sh", "-c", script, "sh", *argv], cwd=REPO,
                              env=self.target.env(), capture_output=True, text=True, timeout=timeout)

    def uninstall(self) -> None:
        subprocess.run([sys.executable, "-m", "installer", "uninstall", "--yes", "--state-dir", str(self.state),
                        "--root", str(self.root)], cwd=REPO, capture_output=True, timeout=120)


def cert_fingerprint(target: Target) -> str:
    return str(saved_fingerprint(target.state))


@pytest.fixture(scope="module")
def cluster(hello_bundle_dir, tmp_path_factory):
    """A completed one-node install whose bundle folder was deleted afterwards."""
    tmp = tmp_path_factory.mktemp("cluster-expand")
    bundle = tmp / "bundle"
    shutil.copytree(hello_bundle_dir, bundle)
    target = Target.make(bundle, tmp)
    target.root.mkdir()
    result = target.install("--skip-check", "ports")  # the joining host shares this machine's ports
    assert result.returncode == 0, result.stdout + result.stderr
    shutil.rmtree(bundle)
    token_file = tmp / "token"
    token_file.write_text(StateDir(target.state).join_token.read_text())
    joiners: list[Joiner] = []
    yield target, tmp, token_file, joiners
    for joiner in joiners:
        joiner.uninstall()
    target.uninstall()
    assert leftover_processes(target.root, target.state, *(j.state for j in joiners)) == []


def test_the_install_ends_with_the_cluster_service_running_and_status_shows_how_to_join(cluster):
    target, *_ = cluster
    services = SupervisedServices(Host(target.root))
    assert services.is_running("airlift-cluster")
    plan = target.run("plan", *target.location()).stdout
    assert "/cluster-service" in plan
    status = target.run("status", *target.location())
    assert status.returncode == 0 and "✓ cluster service running" in status.stdout, status.stdout
    assert "To add a node" in status.stdout
    assert f"127.0.0.1:{target.agent_port}" in status.stdout and "--role worker" in status.stdout


def test_a_host_joining_afterwards_becomes_a_ready_node_with_its_agent_service(cluster):
    target, tmp, token_file, joiners = cluster
    joiner = Joiner(tmp, target, NODE, "127.0.0.2")
    joiners.append(joiner)
    result = joiner.join("worker", token_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"as node {NODE} (worker)" in result.stdout
    assert "Service airlift-agent started" in result.stdout
    status = target.run("status", *target.location())
    assert f"✓ node {NODE} Ready" in status.stdout, status.stdout
    assert f"{NODE} (worker, 127.0.0.2)" in status.stdout
    assert f"expand {NODE}: completed" in status.stdout
    nodes = json.loads((target.state / "nodes.json").read_text())
    assert [n["name"] for n in nodes] == [NODE]
    operation = next((target.state / "operations").iterdir())
    phases = [p["id"] for p in json.loads((operation / "plan.json").read_text())["phases"]]
    assert phases == [f"/checks/{NODE}", f"/checks/network/{NODE}", f"/distribute/{NODE}", f"/runtime/{NODE}",
                      f"/monitoring/{NODE}"]
    targets = json.loads((target.state / "monitoring" / "prometheus" / "exporters.json").read_text())
    assert {"targets": [f"127.0.0.2:{target.monitoring_ports[0]}"], "labels": {"node": NODE}} in targets
    checks = network_checks(operation, NODE)
    assert set(checks) == {"network-ports", "network-bandwidth", "clock-drift-pairs"}
    assert {c["status"] for c in checks.values()} == {"pass"}, checks
    # the first master probed the new node's listeners; the new node connected to the first master's
    # ports, its UDP port untested (the running node's services hold it)
    assert "Each of the 2 nodes reaches every other" in checks["network-ports"]["message"]
    assert "1 UDP port of running nodes not tested" in checks["network-ports"]["message"]
    agent = SupervisedServices(Host(joiner.root))
    assert agent.is_running("airlift-agent")
    # the persistent agent reconnects to the cluster service as the same node
    assert wait_until(lambda: "reconnected" in _service_log(target), timeout=60), _service_log(target)
    spec = (joiner.root / "etc/airlift/services/airlift-agent.json").read_text()
    assert token_file.read_text().strip() not in spec  # the token is in a 0600 file only


def test_a_wrong_token_or_an_unknown_profile_is_refused_on_the_joining_host(cluster):
    target, tmp, token_file, _ = cluster
    wrong = tmp / "wrong-token"
    wrong.write_text("0" * 48)
    refused = Joiner(tmp, target, "airlift-expand-wrong", "127.0.0.3").join("worker", wrong, timeout=60)
    assert refused.returncode == 2 and "refused the join token" in refused.stdout, refused.stdout
    unknown = Joiner(tmp, target, "airlift-expand-role", "127.0.0.4").join("database", token_file, timeout=60)
    assert unknown.returncode == 2, unknown.stdout
    assert '"database" is not a node profile of hello' in unknown.stdout
    assert "--role one of: master, worker" in unknown.stdout


def test_a_host_failing_its_checks_is_told_why_and_not_added(cluster):
    target, tmp, token_file, _ = cluster
    kept = target.state / "bundle" / "app.yaml"  # the profile the joining host is checked against
    original = kept.read_text()
    doc = yaml.safe_load(original)
    for profile in doc["nodeProfiles"]:
        if profile["name"] == "worker":
            profile["requirements"]["cpu"] = {"min": 4096}
    kept.write_text(yaml.safe_dump(doc, sort_keys=False))
    try:
        failed = Joiner(tmp, target, "airlift-expand-small", "127.0.0.6").join("worker", token_file, timeout=120)
    finally:
        kept.write_text(original)
    assert failed.returncode == 2, failed.stdout + failed.stderr
    assert "Node airlift-expand-small was not added to the cluster" in failed.stdout
    assert "cpu-min" in failed.stdout and "run the join command on that node again" in failed.stdout
    assert [n["name"] for n in json.loads((target.state / "nodes.json").read_text())] == [NODE]
    status = target.run("status", *target.location()).stdout
    assert "expand airlift-expand-small: failed" in status


def change_installed_manifest(target: Target, change) -> None:  # noqa: ANN001
    """Edit the installed manifest and restart the cluster service, which reads it as it starts."""
    manifest_path = target.state / "app" / "app.yaml"
    doc = yaml.safe_load(manifest_path.read_text())
    change(doc)
    manifest_path.write_text(yaml.safe_dump(doc, sort_keys=False))
    services = SupervisedServices(Host(target.root))
    services.stop("airlift-cluster")
    services.start("airlift-cluster")


def test_the_node_add_hooks_run_on_the_first_master_around_the_join(cluster):
    target, tmp, token_file, joiners = cluster

    def add_hooks(doc: dict) -> None:
        doc["hooks"].update(preNodeAdd=doc["hooks"]["install"], postNodeAdd=doc["hooks"]["install"])
    change_installed_manifest(target, add_hooks)
    joiner = Joiner(tmp, target, "airlift-expand-hooks", "127.0.0.7")
    joiners.append(joiner)
    result = joiner.join("worker", token_file)
    assert result.returncode == 0, result.stdout + result.stderr
    operation = next(p for p in (target.state / "operations").iterdir() if "airlift-expand-hooks" in p.name)
    phases = [p["id"] for p in json.loads((operation / "plan.json").read_text())["phases"]]
    assert phases == ["/checks/airlift-expand-hooks", "/checks/network/airlift-expand-hooks",
                      "/distribute/airlift-expand-hooks", "/hooks/preNodeAdd", "/runtime/airlift-expand-hooks",
                      "/monitoring/airlift-expand-hooks", "/hooks/postNodeAdd"]
    ports = network_checks(operation, "airlift-expand-hooks")["network-ports"]
    assert ports["status"] == "pass" and "Each of the 3 nodes" in ports["message"], ports  # NODE's agent too
    events = [json.loads(line) for line in (operation / "events.jsonl").read_text().splitlines()]
    hook_lines = {e["phase"] for e in events if e["kind"] == "log" and "hello install hook" in e["message"]}
    assert hook_lines == {"/hooks/preNodeAdd", "/hooks/postNodeAdd"}


def test_a_profile_at_expand_policy_fixed_is_refused_naming_it(cluster):
    target, tmp, token_file, _ = cluster

    def fix_worker(doc: dict) -> None:
        for profile in doc["nodeProfiles"]:
            if profile["name"] == "worker":
                profile["expandPolicy"] = "fixed"
    change_installed_manifest(target, fix_worker)
    joiner = Joiner(tmp, target, "airlift-expand-fixed", "127.0.0.5")
    refused = joiner.join("worker", token_file, timeout=120)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert 'Node profile "worker" of hello has expandPolicy: fixed' in refused.stdout
    assert "--role one of: master" in refused.stdout
    assert "airlift-expand-fixed" not in (target.state / "nodes.json").read_text()


def test_a_host_failing_the_checks_across_nodes_is_stopped_before_anything_is_sent_to_it(cluster):
    """Nothing was sent to the node, so it is forgotten: a later expand does not wait for it."""
    target, tmp, token_file, joiners = cluster

    def demand_a_fast_link(doc: dict) -> None:
        for profile in doc["nodeProfiles"]:
            if profile["name"] == "worker":
                profile.pop("expandPolicy", None)
                profile["requirements"]["network"]["minTransferRate"] = "1000GB/s"  # above any loopback
    change_installed_manifest(target, demand_a_fast_link)
    joiner = Joiner(tmp, target, "airlift-expand-slow", "127.0.0.8")
    joiners.append(joiner)
    failed = joiner.join("worker", token_file, timeout=180)
    assert failed.returncode == 2, failed.stdout + failed.stderr
    assert "Node airlift-expand-slow was not added to the cluster" in failed.stdout
    assert "network-bandwidth" in failed.stdout, failed.stdout
    operation = next(p for p in (target.state / "operations").iterdir() if "airlift-expand-slow" in p.name)
    stored = PlanStore(operation).load()
    assert stored is not None
    plan = {p.id: p.state for p in stored.phases}
    assert plan["/checks/network/airlift-expand-slow"] == "failed", plan
    assert plan["/distribute/airlift-expand-slow"] == plan["/runtime/airlift-expand-slow"] == "unstarted"
    bandwidth = network_checks(operation, "airlift-expand-slow")["network-bandwidth"]
    assert bandwidth["status"] == "fail", bandwidth
    assert "airlift-expand-slow sends to" in bandwidth["message"] and "below the required" in bandwidth["message"]
    assert not (joiner.state / "bundle").exists(), "nothing was sent to the node"
    assert "airlift-expand-slow" not in (target.state / "nodes.json").read_text(), "a failed node is forgotten"


def network_checks(operation, node: str) -> dict[str, dict]:  # noqa: ANN001
    """The check events of /checks/network/<node> in an expand operation's events, by check id."""
    events = [json.loads(line) for line in (operation / "events.jsonl").read_text().splitlines()]
    return {e["data"]["id"]: e for e in events if e["kind"] == "check" and e["phase"] == f"/checks/network/{node}"}


def _service_log(target: Target) -> str:
    path = target.root / "var/log/airlift/airlift-cluster.log"
    return path.read_text(errors="replace") if path.exists() else ""
