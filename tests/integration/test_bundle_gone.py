"""After the install the operator deletes the unpacked bundle: the services keep running and
restarting, and the installer kept in the state folder still shows status and uninstalls. No
secret is left anywhere an operator or another user could read it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest
import requests

from installer.host import Host
from installer.registry.credentials import load_credentials
from installer.services.supervised import ServiceFiles, read_pid
from installer.statedir import StateDir
from tests.integration.installer_run import Target, files_under, leftover_processes

pytestmark = pytest.mark.integration


def registry_answers(target: Target) -> bool:
    """The registry answers as a node pulls: over TLS trusting the install's CA, signed in."""
    state = StateDir(target.state)
    credentials = load_credentials(state.registry_credentials)
    assert credentials is not None
    try:
        return requests.get(f"https://127.0.0.1:{target.registry_port}/v2/", timeout=1, verify=str(state.tls_ca_cert),
                            auth=(credentials.username, credentials.password)).status_code == 200
    except requests.RequestException:
        return False


def wait_for(condition, timeout: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def assert_no_secret_anywhere(target: Target, output: str) -> None:
    """The cluster token lives only where k3s reads it (under /etc/rancher and /var/lib/rancher):
    never in the output, any file of the state folder (answers, events, logs, facts, jobs), the
    services' logs and specs, or a running process's command line. The registry's password lives only
    in its 0600 credentials file (and registries.yaml under /etc/rancher)."""
    token = (target.root / "var/lib/rancher/k3s/server/token").read_text().strip()
    secrets = [token.encode(), token.rsplit(":", 1)[-1].encode()]
    files = [p for p in target.state.rglob("*") if p.is_file()]
    files += [p for folder in ("var/log/airlift", "etc/airlift") for p in (target.root / folder).rglob("*") if p.is_file()]
    assert any(p.name == "answers.yaml" for p in files) and any(p.name == "events.jsonl" for p in files)
    kept = StateDir(target.state).registry_credentials
    password = load_credentials(kept).password.encode()
    assert kept.stat().st_mode & 0o077 == 0
    for secret in [*secrets, password]:
        assert secret.decode() not in output
        assert [p for p in files if secret in p.read_bytes() and p != kept] == []
        assert [c for c in leftover_processes(target.root, target.state) if secret.decode() in c] == []


def run(argv: list[str], target: Target) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in target.env().items() if k != "AIRLIFT_BUNDLE_DIR"}
    return subprocess.run(argv, cwd="/", env=env, capture_output=True, text=True, timeout=300)


def test_services_status_and_uninstall_outlive_the_deleted_bundle(hello_bundle_dir, tmp_path):
    bundle = tmp_path / "unpacked here" / "hello-1.0.0"  # a path with a space, as operators have
    shutil.copytree(hello_bundle_dir, bundle, copy_function=os.link)
    target = Target.make(bundle, tmp_path)
    target.root.mkdir()
    installed = run([str(bundle / "install"), *target.install_args()], target)  # the frozen installer
    kept = target.state / "installer" / "install"
    try:
        assert installed.returncode == 0, installed.stdout + installed.stderr
        assert f"{kept} --root {target.root} status" in installed.stdout
        assert_no_secret_anywhere(target, installed.stdout + installed.stderr)
        shutil.rmtree(bundle.parent)

        supervisors = [c for c in leftover_processes(target.root) if "_supervise" in c]
        # every service the install made (the registry, k3s, the cluster service, the control panel,
        # the monitoring's three) runs, each supervised by the kept installer
        services = sorted(p.stem for p in (target.root / "etc/airlift/services").glob("*.json"))
        assert {"airlift-registry", "airlift-cluster", "airlift-panel", "airlift-prometheus"} <= set(services)
        assert len(supervisors) == len(services), (services, supervisors)
        assert all(c.startswith(str(target.state / "installer")) for c in supervisors)
        assert [c for c in leftover_processes(target.root) if " _cluster " in c]
        files = ServiceFiles.of(Host(target.root), "airlift-registry")
        crashed = read_pid(files.child_pid)
        assert crashed and registry_answers(target)
        os.kill(crashed, signal.SIGKILL)
        assert wait_for(lambda: read_pid(files.child_pid) not in (None, crashed), 15), "registry not restarted"
        assert wait_for(lambda: registry_answers(target), 15)

        status = run([str(kept), "status", "--root", str(target.root)], target)  # no --state-dir needed
        assert status.returncode == 0, status.stdout + status.stderr
        assert "✓ registry answering" in status.stdout and "✓ node" in status.stdout
    finally:
        removed = run([str(kept), "uninstall", "--yes", "--root", str(target.root)], target)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert "Uninstalled" in removed.stdout
    assert files_under(target.root) == [] and not target.state.exists()
    assert leftover_processes(target.root, target.state) == []
