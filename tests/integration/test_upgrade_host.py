"""The hello application upgraded on this machine (temp root + state dir, the k3s stand-in):
1.0.0 installed, moved to a 1.1.0 built here (a changed Deployment, one more resource, update
hooks), then rolled back to 1.0.0; a failing preUpdate hook stops before anything changed; a
SIGKILL inside a phase, then the upgrade again, completes."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from installer.bundle import Bundle, safe_extract
from tests.fixtures.build_fixtures import HELLO, build_hello
from tests.integration.installer_run import REPO, Target

pytestmark = pytest.mark.integration

HARNESS = Path(__file__).with_name("upgrade_harness.py")
NEXT_RESOURCE = {"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "hello-next", "namespace": "default"}, "data": {"version": "1.1.0"}}


def hook(name: str, script: str) -> str:
    return yaml.safe_dump({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": "default"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{
            "name": "hook", "image": "hello/hook:1.0.0", "command": ["/bin/busybox", "sh", "-c"],
            "args": [script]}]}}}}, sort_keys=False)


def build_next(tmp: Path, k3s: Path, pre_update: str = "echo hello preUpdate hook") -> Path:
    """hello 1.1.0: a new greeting, a ConfigMap more, preUpdate/update/rollback hooks; unpacked."""
    app = tmp / "hello-next"
    shutil.copytree(HELLO, app, ignore=shutil.ignore_patterns(".images", "images"))
    web = app / "resources" / "hello.yaml"
    web.write_text(web.read_text().replace("value: Hello from Airlift", "value: Hello from Airlift 1.1")
                   + "---\n" + yaml.safe_dump(NEXT_RESOURCE, sort_keys=False))
    scripts = {"preUpdate": pre_update, "update": "echo hello update hook", "rollback": "echo hello rollback hook"}
    manifest = yaml.safe_load((app / "app.yaml").read_text())
    manifest["metadata"]["resourceVersion"] = "1.1.0"
    for name, script in scripts.items():
        (app / "resources" / f"{name}-hook.yaml").write_text(hook(f"hello-{name.lower()}", script))
        manifest["hooks"][name] = {"job": f"file://resources/{name}-hook.yaml"}
    (app / "app.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    safe_extract(build_hello(app / "app.yaml", tmp / "hello-1.1.0.tar", k3s), tmp / "unpacked")
    return tmp / "unpacked" / "hello-1.1.0"


@pytest.fixture(scope="module")
def next_bundle(tmp_path_factory, frozen_k3s_standin) -> Path:
    return build_next(tmp_path_factory.mktemp("hello-next"), frozen_k3s_standin)


def harness(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(HARNESS), *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def upgrade(target: Target, bundle: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return harness("upgrade", bundle, target.state, target.root, *extra)


def kubectl(target: Target, *args: str) -> subprocess.CompletedProcess[str]:
    k3s = target.root / "usr/local/bin/k3s"
    return subprocess.run([str(k3s), "kubectl", "--kubeconfig", str(target.root / "etc/rancher/k3s/k3s.yaml"),
                           *args], capture_output=True, text=True, timeout=60)


def greeting(target: Target) -> str:
    deployment = json.loads(kubectl(target, "get", "deployment", "hello-web", "-o", "json").stdout)
    return deployment["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"]


def installed_version(target: Target) -> str:
    return Bundle.open(target.state / "bundle").version


def test_upgrade_then_rollback(installed, next_bundle):
    target = installed
    done = upgrade(target, next_bundle, "--runtime-changed")
    assert done.returncode == 0, done.stdout
    assert "hello preUpdate hook" in done.stdout and "hello update hook" in done.stdout
    assert "moving to k3s" in done.stdout  # the runtime swapped on the one node
    assert installed_version(target) == "1.1.0"
    assert greeting(target) == "Hello from Airlift 1.1"
    assert kubectl(target, "get", "configmap", "hello-next").returncode == 0
    plan = target.run("plan", *target.location())
    assert "Upgrade from 1.0.0 to 1.1.0" in plan.stdout and "/gc" in plan.stdout, plan.stdout
    status = target.run("status", *target.location())
    assert status.returncode == 0, status.stdout
    assert "registry serves all" in status.stdout

    back = harness("rollback", target.state, target.root)
    assert back.returncode == 0, back.stdout
    assert "hello rollback hook" in back.stdout
    assert installed_version(target) == "1.0.0"
    assert greeting(target) == "Hello from Airlift"
    assert kubectl(target, "get", "configmap", "hello-next").returncode != 0
    assert target.run("status", *target.location()).returncode == 0
    again = harness("rollback", target.state, target.root)
    assert again.returncode == 2 and "rolled back already" in again.stdout


def test_a_failing_pre_update_hook_changes_nothing(installed, tmp_path, frozen_k3s_standin):
    target = installed
    failing = build_next(tmp_path / "failing", frozen_k3s_standin, pre_update="echo refusing; exit 3")
    failed = upgrade(target, failing)
    assert failed.returncode == 2, failed.stdout
    assert "./install upgrade again" in failed.stdout and "./install rollback" in failed.stdout
    assert installed_version(target) == "1.0.0" and greeting(target) == "Hello from Airlift"
    assert kubectl(target, "get", "configmap", "hello-next").returncode != 0
    assert target.run("status", *target.location()).returncode == 0  # the cluster service is back too
    back = harness("rollback", target.state, target.root)
    assert back.returncode == 0, back.stdout
    assert installed_version(target) == "1.0.0"


KILL_PHASES = ["/previous", "/registry", f"/runtime/{socket.gethostname()}", "/app", "/installer", "/gc"]


def test_upgrade_again_after_sigkill_inside_each_phase_in_turn_completes(installed, next_bundle):
    """SIGKILL inside each phase in turn, every `upgrade again` first redoing the phase the one
    before was killed in (one install for the six kills); the last one completes."""
    target = installed
    for phase in KILL_PHASES:
        killed = upgrade(target, next_bundle, "--runtime-changed", "--kill", phase)
        assert killed.returncode == -signal.SIGKILL, f"killing inside {phase}:\n{killed.stdout}{killed.stderr}"
    resumed = upgrade(target, next_bundle, "--runtime-changed")
    assert resumed.returncode == 0, resumed.stdout
    assert installed_version(target) == "1.1.0" and greeting(target) == "Hello from Airlift 1.1"
    assert target.run("status", *target.location()).returncode == 0


def test_the_operator_upgrades_and_rolls_back_with_the_commands(installed, next_bundle):
    """The path an operator takes: `./install upgrade --yes` from the unpacked 1.1.0, then
    `./install rollback --yes`; `status --json` tells the version after each."""
    target = installed
    newer = Target(next_bundle, target.root, target.state, target.registry_port, target.api_port,
                   target.agent_port)
    done = newer.run("upgrade", "--yes", *target.location(), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1.0.0" in done.stdout and "1.1.0" in done.stdout  # the diff was shown first
    status = json.loads(target.run("status", "--json", *target.location()).stdout)
    assert status["app"] == {"name": "hello", "version": "1.1.0"}, status["app"]
    assert greeting(target) == "Hello from Airlift 1.1"

    same = newer.run("upgrade", "--yes", *target.location())
    assert same.returncode == 2 and "nothing to upgrade" in same.stdout, same.stdout

    back = newer.run("rollback", "--yes", *target.location(), timeout=600)
    assert back.returncode == 0, back.stdout + back.stderr
    status = json.loads(target.run("status", "--json", *target.location()).stdout)
    assert status["app"]["version"] == "1.0.0" and status["healthy"], status
    assert greeting(target) == "Hello from Airlift"
