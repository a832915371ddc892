"""A site's link with a hub served as a real process over HTTPS: connecting through an HTTPS
proxy (the certificate pinned all the same, a wrong --fingerprint refused), check-ins, an
offline site's report file, and disconnection on both sides; then a site installed on this host
whose cluster service checks in on its own."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from installer.errors import AirliftError
from installer.host import Host
from installer.hub_link.actions import check_in, connect, disconnect
from installer.hub_link.document import header
from installer.hub_link.envelope import seal
from installer.hub_link.link import load_key, next_seq, read_link
from installer.hub_link.transport import HubRefused
from installer.services import manager_for
from installer.statedir import StateDir
from installer.transfer.pins import ResumingContext, connect_pinned
from tests.integration.hub.conftest import REPO, HubProcess, hub_command
from tests.integration.hub.connect_proxy import ConnectProxy
from tests.integration.installer_run import Target

pytestmark = pytest.mark.timeout(900)


def enroll_token(hub_database_url: str, tmp_path: Path, *extra: str) -> str:
    """An enroll token of the hub the hub_process fixture serves (the same data folder and database)."""
    made = subprocess.run(hub_command("token", "create", "--scope", "enroll", *extra, data=tmp_path / "hub-data",
                                      database=hub_database_url), cwd=REPO, capture_output=True, text=True,
                          timeout=60, check=True)
    return made.stdout.strip().splitlines()[-1]


def hub_sites(hub: HubProcess) -> dict[str, dict]:
    return {s["site_id"]: s for s in hub.session().get(f"{hub.url}/api/v1/sites", timeout=10).json()["sites"]}


def test_a_site_connects_through_a_proxy_checks_in_and_disconnects(hub_process, hub_database_url, tmp_path,
                                                                  monkeypatch):
    proxy = ConnectProxy()
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    state = tmp_path / "site-state"
    host = Host(Path("/"))
    services = manager_for(host, state)
    token = enroll_token(hub_database_url, tmp_path)
    with pytest.raises(AirliftError, match="not the SHA256:"):
        connect(state, host, services, hub_process.url, token, "ab" * 32, 60)
    done = connect(state, host, services, hub_process.url, token, None, 60)
    assert "SHA256:" + done.link.fingerprint == hub_process.fingerprint and done.pinned_now
    assert done.answer["state"] == "online"
    port = hub_process.url.rpartition(":")[2]
    assert proxy.tunnels and set(proxy.tunnels) == {f"127.0.0.1:{port}"}
    assert check_in(state, host, services, 60)["seq"] == 3  # enroll 1, first check-in 2
    assert hub_sites(hub_process)[done.link.site_id]["state"] == "online"
    with pytest.raises(AirliftError, match="already connected"):
        connect(state, host, services, hub_process.url, token, None, 60)
    assert disconnect(state) == hub_process.url
    assert not StateDir(state).hub_link_dir.exists()
    assert hub_sites(hub_process)[done.link.site_id]["state"] == "disconnected"
    proxy.close()


def test_a_site_resumes_the_tls_session_of_its_last_request_to_the_hub(hub_process):
    """The hub sends a session ticket (hub/wsgi_server.py) that a site's next connection resumes
    (installer/hub_link/transport.py), each request on a connection of its own."""
    context, resumed = ResumingContext(), []
    for _ in range(3):
        conn = connect_pinned(hub_process.url, hub_process.fingerprint.removeprefix("SHA256:"), 10, 10, context)
        try:
            assert conn.sock is not None
            resumed.append(conn.sock.session_reused)  # type: ignore[attr-defined]
            conn.request("POST", "/api/v1/sites/site-0/check-ins", body=b"{}")
            assert conn.getresponse().status == 400  # not a signed document; the answer carries the ticket
        finally:
            conn.close()
    assert resumed == [False, True, True]


def test_a_reused_token_and_a_disconnected_site_are_refused(hub_process, hub_database_url, tmp_path):
    host = Host(Path("/"))
    token = enroll_token(hub_database_url, tmp_path)
    first, second = tmp_path / "one", tmp_path / "two"
    connect(first, host, manager_for(host, first), hub_process.url, token, hub_process.fingerprint[7:], 60)
    with pytest.raises(AirliftError, match="used already"):
        connect(second, host, manager_for(host, second), hub_process.url, token, None, 60)
    link = read_link(StateDir(first))
    assert link is not None
    session = hub_process.session()
    private, _ = load_key(StateDir(first))
    body = seal(header("disconnect", link.site_id, next_seq(StateDir(first)), 0), private)
    assert session.post(f"{hub_process.url}/api/v1/sites/{link.site_id}/disconnect", data=body,
                        timeout=10).status_code == 200  # as if ended from another copy of the state
    with pytest.raises(HubRefused) as refused:
        check_in(first, host, manager_for(host, first), 60)
    assert refused.value.status == 410
    assert json.loads(StateDir(first).hub_state.read_text())["disconnected_by_hub"]
    assert disconnect(first) == hub_process.url  # ends here too, though the hub ended it first


@pytest.mark.parametrize("hub_database_url", ["sqlite"], indirect=True)
def test_an_installed_site_checks_in_from_its_cluster_service(hub_process, hub_database_url, hello_bundle_dir,
                                                             tmp_path):
    target = Target.make(hello_bundle_dir, tmp_path / "site")
    target.root.mkdir(parents=True)
    installed = target.install("--hub-interval", "5")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    try:
        token = enroll_token(hub_database_url, tmp_path)
        linked = target.run("hub", "connect", hub_process.url, "--token", token, *target.location())
        assert linked.returncode == 0, linked.stdout + linked.stderr
        assert f"The hub's certificate {hub_process.fingerprint} is pinned" in linked.stdout
        site_id = read_link(StateDir(target.state)).site_id  # type: ignore[union-attr]
        deadline = time.monotonic() + 90
        while hub_sites(hub_process)[site_id]["last_seq"] < 4 and time.monotonic() < deadline:
            time.sleep(2)
        site = hub_sites(hub_process)[site_id]
        assert site["last_seq"] >= 4 and site["state"] == "online", site  # the service checked in on its own
        assert (site["application"], site["version"]) == ("hello", "1.0.0")
        detail = hub_process.session().get(f"{hub_process.url}/api/v1/sites/{site_id}", timeout=10).json()
        assert detail["status"]["app"]["name"] == "hello" and detail["inventory"] > 0
        status = target.run("status", *target.location())
        assert f"Hub: {hub_process.url} as {site_id} (channel stable), last check-in" in status.stdout, status.stdout
        report = target.run("report", "--for-hub", "-o", str(tmp_path / "site.airlift"), *target.location())
        assert report.returncode == 0, report.stdout + report.stderr
        session = hub_process.session()
        for _ in range(2):
            taken = session.post(f"{hub_process.url}/api/v1/reports", data=(tmp_path / "site.airlift").read_bytes(),
                                 timeout=10)
            assert taken.status_code in (200, 409), taken.text
        ended = target.run("hub", "disconnect", *target.location())
        assert ended.returncode == 0 and "Disconnected" in ended.stdout, ended.stdout + ended.stderr
        assert hub_sites(hub_process)[site_id]["state"] == "disconnected"
    finally:
        assert target.uninstall().returncode == 0
