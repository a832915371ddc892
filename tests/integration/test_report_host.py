"""`./install report` after the hello application is installed on this machine (temp root and state
dir, the k3s stand-in): the archive (0600) holds the expected files, and no token or password of
the install appears anywhere in it, the last hour of metrics from Prometheus is; a node that does
not answer is named, and with the cluster service and Prometheus stopped the report still holds
this host and says so."""

from __future__ import annotations

import json
import socket
import stat
import tarfile
import time
from pathlib import Path

import pytest
import requests
import yaml

from installer.host import Host
from installer.services import manager_for
from installer.services.names import CONTROLLER, PROMETHEUS
from installer.statedir import StateDir
from tests.fixtures.net import wait_until
from tests.integration.installer_run import Target

pytestmark = pytest.mark.integration

NODE = socket.gethostname()


def report(target: Target, out: Path, *extra: str) -> dict[str, str]:
    """Run `./install report -o OUT`; the archive's files by their path below its top folder."""
    started = time.monotonic()
    done = target.run("report", "-o", str(out), *extra, *target.location(), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Support report written to {out}" in done.stdout and "send this file to the vendor" in done.stdout
    assert time.monotonic() - started < 60, "the report took too long"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with tarfile.open(out) as tar:
        tops = {m.name.split("/")[0] for m in tar.getmembers()}
        assert len(tops) == 1, tops
        return {m.name.split("/", 1)[1]: tar.extractfile(m).read().decode() for m in tar.getmembers() if m.isfile()}


def secrets_of(target: Target) -> dict[str, str]:
    """Every token and password the install holds."""
    paths = StateDir(target.state)
    k3s = target.root / "etc/rancher/k3s"
    full = (target.root / "var/lib/rancher/k3s/server/token").read_text().strip()
    kubeconfig = yaml.safe_load((k3s / "k3s.yaml").read_text())
    return {"admin token": paths.admin_token.read_text().strip(),
            "join token": paths.join_token.read_text().strip(),
            "registry password": json.loads(paths.registry_credentials.read_text())["password"],
            "k3s token": yaml.safe_load((k3s / "config.yaml").read_text())["token"],
            "k3s full token": full, "k3s token password": full.rpartition(":")[2],
            "kubeconfig token": kubeconfig["users"][0]["user"]["token"]}


def scraped(target: Target) -> bool:
    """Prometheus has scraped the node's exporter at least once (so `up` has a sample)."""
    url = f"http://127.0.0.1:{target.monitoring_ports[1]}/api/v1/query"
    try:
        answer = requests.get(url, params={"query": 'up{job="node"}'}, timeout=5).json()
    except (requests.RequestException, ValueError):
        return False
    return bool(answer.get("data", {}).get("result"))


def test_the_report_holds_the_install_and_no_secret(installed, tmp_path):
    target = installed
    assert wait_until(lambda: scraped(target), 90, interval=2), "Prometheus never scraped the node's exporter"
    secrets = secrets_of(target)
    log = StateDir(target.state).installer_log  # as a careless debug line would leave them
    with open(log, "a", encoding="utf-8") as f:
        f.write(f"debug: join token {secrets['join token']}, registry password={secrets['registry password']}\n")
    files = report(target, tmp_path / "report.tar.gz")
    mine = f"nodes/{NODE}"
    expected = ["summary.txt", "redactions.txt", "cluster/nodes.yaml", "cluster/pods.yaml", "cluster/events.yaml",
                "cluster/jobs.yaml", "cluster/application.yaml", f"{mine}/state/plan.json",
                f"{mine}/state/plan-log.jsonl", f"{mine}/state/events.jsonl", f"{mine}/state/answers.yaml",
                f"{mine}/state/facts.json", f"{mine}/logs/k3s.log", f"{mine}/logs/airlift-registry.log",
                f"{mine}/logs/{CONTROLLER}.log", f"{mine}/system/disk.json", f"{mine}/system/memory.json",
                f"{mine}/system/checks-now.json", f"{mine}/system/versions.json", f"{mine}/logs/{PROMETHEUS}.log",
                "metrics/cpu-percent.json", "metrics/memory-percent.json", "metrics/disk-percent.json",
                "metrics/up.json", "metrics/alerts-fired.json", "metrics/alerts-firing-now.json"]
    assert [name for name in expected if name not in files] == [], sorted(files)
    assert "hello-web" in files["cluster/application.yaml"] and NODE in files["cluster/nodes.yaml"]
    up = json.loads(files["metrics/up.json"])
    assert up["query"] == "up" and up["result"], "Prometheus's last hour of `up` is in the report"
    assert json.loads(files[f"{mine}/system/checks-now.json"])["results"], "the checks ran again"
    summary = files["summary.txt"]
    assert summary.startswith("Support report of hello 1.0.0") and "the whole cluster" in summary
    for name, value in secrets.items():
        leaks = [path for path, text in files.items() if value in text]
        assert leaks == [], f"the {name} is in {leaks}"
    listed = [line.split() for line in files["redactions.txt"].splitlines()]
    assert ["join", "token", "1", f"{mine}/state/logs/installer.log"] in listed, files["redactions.txt"]
    assert ["registry", "password", "1", f"{mine}/state/logs/installer.log"] in listed, files["redactions.txt"]


def test_a_silent_node_is_named_and_stopped_services_are_said(installed, tmp_path):
    target = installed
    services = manager_for(Host(target.root), target.state)
    nodes = StateDir(target.state).nodes
    services.stop(CONTROLLER)
    gone = {"name": "gone-node", "identity": "x" * 32, "address": "127.0.0.9", "profile": "node",
            "last_seen": time.time() - 3600}
    nodes.write_text(json.dumps([*json.loads(nodes.read_text() if nodes.is_file() else "[]"), gone]))
    services.start(CONTROLLER)
    files = report(target, tmp_path / "silent.tar.gz", "--timeout", "5")
    assert "gone-node" in files["nodes-not-answering.txt"] and "not been in contact" in files["nodes-not-answering.txt"]
    assert "node gone-node did not answer" in files["summary.txt"]

    services.stop(CONTROLLER)
    services.stop(PROMETHEUS)
    files = report(target, tmp_path / "down.tar.gz")
    summary = files["summary.txt"]
    assert f"the service {CONTROLLER} is not running" in summary
    assert "monitoring did not answer (Prometheus does not answer at http://127.0.0.1:" in summary, summary
    assert not [name for name in files if name.startswith("metrics/")]
    assert f"The cluster service ({CONTROLLER}) did not answer" in summary, summary
    assert f"nodes/{NODE}/state/plan.json" in files and "cluster/pods.yaml" in files
    services.start(CONTROLLER)
    services.start(PROMETHEUS)
