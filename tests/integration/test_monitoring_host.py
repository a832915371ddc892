"""Monitoring after a one-host install of the hello bundle: Prometheus on loopback scrapes the
node's exporter (TLS, signed in), the registry and the cluster service; filling the profile's
volume (a small tmpfs) fires the disk alert, which `./install status --json` reports, degraded."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
import requests

from tests.integration.installer_run import Target

pytestmark = pytest.mark.integration

VOLUME = "var/lib/airlift-hello"  # the hello profile's volume, under the install's root


@pytest.fixture(scope="module")
def installed(hello_bundle_dir, tmp_path_factory):
    target = Target.make(hello_bundle_dir, tmp_path_factory.mktemp("monitoring-host"))
    volume = target.root / VOLUME
    volume.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "airlift-test-volume", str(volume)], check=True)
    try:
        result = target.install("--alert-for", "5s", "--skip-check", "volume-hello-data")  # 8 MiB on purpose
        assert result.returncode == 0, result.stdout + result.stderr
        yield target
    finally:
        target.uninstall()
        subprocess.run(["umount", str(volume)], check=False)


def query(target: Target, promql: str) -> list[dict]:
    port = target.monitoring_ports[1]
    answer = requests.get(f"http://127.0.0.1:{port}/api/v1/query", params={"query": promql}, timeout=5)
    answer.raise_for_status()
    return answer.json()["data"]["result"]


def wait_for(check, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(2)


def test_prometheus_scrapes_the_exporter_the_registry_and_the_cluster_service(installed):
    def all_up():
        ups = {r["metric"]["job"]: r["value"][1] for r in query(installed, "up")}
        return ups if {"node", "registry", "airlift-cluster"} <= {j for j, v in ups.items() if v == "1"} else None
    assert wait_for(all_up, 90), query(installed, "up")
    ready = query(installed, "airlift_node_ready")
    assert ready and ready[0]["value"][1] == "1"
    assert query(installed, "airlift_certificate_expiry_timestamp_seconds")


def test_prometheus_and_the_exporter_are_not_open_to_anyone(installed):
    exporter, prometheus = installed.monitoring_ports[0], installed.monitoring_ports[1]
    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=True).stdout
    assert f"127.0.0.1:{prometheus} " in listening and f"0.0.0.0:{prometheus} " not in listening
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"https://127.0.0.1:{exporter}/metrics", timeout=5)  # not a CA the world trusts
    ca = installed.state / "tls" / "ca.crt"
    assert requests.get(f"https://127.0.0.1:{exporter}/metrics", verify=str(ca), timeout=5).status_code == 401


def test_a_full_volume_fires_the_disk_alert_and_status_is_degraded(installed):
    filler = installed.root / VOLUME / "filler"
    with filler.open("wb") as f:
        f.write(os.urandom(7 * 1024 * 1024))
    try:
        def degraded():
            status = json.loads(installed.run("status", "--json", *installed.location()).stdout)
            alerts = (status["monitoring"] or {}).get("alerts") or []
            return status if any(a["name"] == "DiskAlmostFull" for a in alerts) else None
        status = wait_for(degraded, 150)
        assert status, installed.run("status", *installed.location()).stdout
        assert status["condition"] == "degraded" and not status["healthy"]
        assert any("DiskAlmostFull" in reason for reason in status["reasons"])
        table = installed.run("status", *installed.location())
        assert table.returncode == 1 and "Health: degraded" in table.stdout and "DiskAlmostFull" in table.stdout
    finally:
        filler.unlink()
