"""An offline site: installed in a network namespace with no route to the hub at all (loopback
only), it writes the signed report file with `./install report --for-hub -o site.airlift`; the
file, carried out, is uploaded to the hub's API and updates the site like a check-in, and the
same file uploaded again changes nothing more."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.hub.conftest import REPO, HubProcess
from tests.integration.hub.test_site_link import enroll_token
from tests.integration.installer_run import Target

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
# a namespace has neither a default route nor a cgroup tree mounted in its own /sys: both checks
# are about the host, not what this test proves
SKIP_CHECKS = ("--skip-check", "default-route", "--skip-check", "cgroups")


@pytest.fixture
def offline_ns() -> Iterator[str]:
    ns = f"airlift-off-{secrets.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


def in_ns(ns: str, target: Target, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", ns, *target.argv(list(args))], cwd=REPO, env=target.env(),
                          capture_output=True, text=True, timeout=300)


def upload(hub: HubProcess, report: Path, token: str) -> dict:
    answer = hub.session().post(f"{hub.url}/api/v1/reports", data=report.read_bytes(),
                                headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def site_detail(hub: HubProcess, site_id: str) -> dict:
    return dict(hub.session().get(f"{hub.url}/api/v1/sites/{site_id}", timeout=10).json())


@pytest.mark.parametrize("hub_database_url", ["sqlite"], indirect=True)
def test_an_offline_sites_report_file_updates_the_hub_once(hub_process, hub_database_url, hello_bundle_dir,
                                                           offline_ns, tmp_path):
    assert subprocess.run(["ip", "netns", "exec", offline_ns, "ip", "route", "get", "192.0.2.1"],
                          capture_output=True).returncode != 0  # no route anywhere but loopback
    target = Target.make(hello_bundle_dir, tmp_path / "site")
    target.root.mkdir(parents=True)
    installed = in_ns(offline_ns, target, *target.install_args(*SKIP_CHECKS))
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    try:
        knock = subprocess.run(["ip", "netns", "exec", offline_ns, "curl", "-sk", "--max-time", "3",
                                f"{hub_process.url}/api/v1/ping"], capture_output=True, text=True)
        assert knock.returncode != 0  # the hub's loopback address is the namespace's own: nothing there

        first, second = tmp_path / "site.airlift", tmp_path / "later.airlift"
        written = in_ns(offline_ns, target, "report", "--for-hub", "-o", str(first), *target.location())
        assert written.returncode == 0 and "Report 1 of site-" in written.stdout, written.stdout + written.stderr
        site_id = written.stdout.split("Report 1 of ")[1].split()[0]

        token = enroll_token(hub_database_url, tmp_path)  # a site new to the hub is registered with one
        taken = upload(hub_process, first, token)
        assert taken["taken"] and taken["site_id"] == site_id and taken["seq"] == 1
        detail = site_detail(hub_process, site_id)
        assert (detail["application"], detail["version"], detail["mode"]) == ("hello", "1.0.0", "file")
        assert detail["status"]["app"]["name"] == "hello" and detail["inventory"] > 0
        assert any("first report" in e["message"] for e in detail["events"])

        again = upload(hub_process, first, token)
        assert not again["taken"] and again["seq"] == 1
        assert site_detail(hub_process, site_id) == detail  # the same file twice: nothing more changed

        written = in_ns(offline_ns, target, "report", "--for-hub", "-o", str(second), *target.location())
        assert written.returncode == 0 and f"Report 2 of {site_id}" in written.stdout, written.stderr
        later = upload(hub_process, second, "")  # a known site needs no token
        assert later["taken"] and later["seq"] == 2
        updated = site_detail(hub_process, site_id)
        assert updated["last_seq"] == 2 and updated["last_seen"] != detail["last_seen"]
        assert upload(hub_process, second, "")["taken"] is False
        assert site_detail(hub_process, site_id) == updated
        assert upload(hub_process, first, "")["taken"] is False  # an older file after a newer one: nothing
    finally:
        assert in_ns(offline_ns, target, "uninstall", "--yes", *target.location()).returncode == 0
