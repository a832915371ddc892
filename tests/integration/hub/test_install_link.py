"""The online install from a link, end to end: a hub served as a real process, hello 1.0.0
published to it, a vendor signed in who makes an install link on the release page, and the
link's command run with `sh` on this host (the bundle downloaded, checked, unpacked into a temp
folder and installed under a temp root on free ports, as the script's extra arguments allow);
the site is then enrolled, as the hub's site list shows. A download cut half way goes on where it
stopped; one whose bytes went wrong is thrown away. Used up, forged and expired links make the
command print why and fail."""

from __future__ import annotations

import datetime
import re
import subprocess
from pathlib import Path

import pytest
import requests
from airlift_build.publish import Publisher, PublishTarget
from sqlalchemy import update
from sqlalchemy.orm import Session

from hub.db import make_engine
from hub.models import ApiToken
from tests.integration.hub.conftest import REPO, HubProcess, hub_command
from tests.integration.hub.test_site_link import hub_sites
from tests.integration.installer_run import Target

pytestmark = pytest.mark.timeout(900)
PASSWORD = "a long enough password"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r"(https://127\.0\.0\.1:\d+/install/hub_[0-9a-f]+_[A-Za-z0-9_-]+)")


def _vendor(hub: HubProcess, tmp_path: Path, database: str) -> requests.Session:
    """A browser session of a signed-in vendor user (pinned to the hub's certificate)."""
    subprocess.run(hub_command("user", "add", "vendor", data=tmp_path / "hub-data", database=database), cwd=REPO,
                   input=PASSWORD + "\n", capture_output=True, text=True, timeout=60, check=True)
    browser = hub.session()
    del browser.headers["Authorization"]
    csrf = CSRF.search(browser.get(f"{hub.url}/login", timeout=10).text)
    assert csrf
    signed = browser.post(f"{hub.url}/login", data={"name": "vendor", "password": PASSWORD, "csrf": csrf.group(1)},
                          timeout=10, allow_redirects=False)
    assert signed.status_code == 302, signed.text
    return browser


def _make_link(hub: HubProcess, browser: requests.Session, **form: str) -> tuple[str, str]:
    """An install link for hello 1.0.0 made on its release page: (the page shown once, the link)."""
    page = browser.get(f"{hub.url}/apps/hello/1.0.0", timeout=30).text
    csrf = CSRF.search(page)
    assert csrf
    made = browser.post(f"{hub.url}/apps/hello/1.0.0/install-link", timeout=120,
                        data={"csrf": csrf.group(1), "uses": "1", "expires_days": "1", "channel": "stable",
                              "mode": "cli", "install_args": "--accept-eula"} | form)
    assert made.status_code == 200, made.text[:2000]
    link = LINK.search(made.text)
    assert link
    return made.text, link.group(1)


def _run_link(link: str, cert: Path, work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command the page shows, with extra arguments after `sh -s --`, as an operator runs it."""
    command = 'cert=$1 link=$2 dir=$3; shift 3; curl --fail-with-body -sSL --cacert "$cert" "$link" | sh -s -- --dir "$dir" "$@"'
    return subprocess.run(["sh", "-c", command, "sh", str(cert), link, str(work), *args], capture_output=True,
                          text=True, timeout=600)


def _publish(hub: HubProcess, bundle: Path) -> None:
    Publisher(PublishTarget(hub.url, hub.token, "stable", hub.fingerprint)).publish(bundle)


@pytest.mark.parametrize("hub_database_url", ["sqlite"], indirect=True)
def test_a_site_installs_from_a_link_and_is_enrolled(hub_process, hub_database_url, hello_bundle_tar, tmp_path):
    _publish(hub_process, hello_bundle_tar)
    browser = _vendor(hub_process, tmp_path, hub_database_url)
    page, link = _make_link(hub_process, browser)
    assert "--cacert airlift-hub.pem" in page and hub_process.fingerprint in page
    cert = tmp_path / "airlift-hub.pem"
    cert.write_text((tmp_path / "hub-data" / "tls" / "hub.crt").read_text())
    target = Target.make(tmp_path / "unpacked" / "hello-1.0.0", tmp_path / "site")
    target.root.mkdir(parents=True)
    whole = hello_bundle_tar.read_bytes()
    (tmp_path / "unpacked").mkdir()
    (tmp_path / "unpacked" / "hello-1.0.0.tar").write_bytes(whole[:len(whole) // 2])  # a download cut half way
    ran = _run_link(link, cert, tmp_path / "unpacked", *target.answer_args())
    try:
        assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
        assert "checking the tarball's sha256" in ran.stderr and "enrolling this site" in ran.stderr
        assert (tmp_path / "unpacked" / "hello-1.0.0.tar").read_bytes() == whole  # resumed where it was cut
        sites = list(hub_sites(hub_process).values())
        assert len(sites) == 1, sites
        assert (sites[0]["application"], sites[0]["version"], sites[0]["channel"]) == ("hello", "1.0.0", "stable")
        assert sites[0]["state"] == "online"
        token = link.rsplit("/", 1)[1]
        assert token not in ran.stdout + ran.stderr
        assert token not in "".join(p.read_text(errors="replace") for p in target.state.rglob("*") if p.is_file())
        again = _run_link(link, cert, tmp_path / "again")
        assert again.returncode == 1 and "airlift: This install link was used already" in again.stderr
        assert not (tmp_path / "again").exists()
    finally:
        assert target.uninstall().returncode == 0


def test_forged_and_expired_links_print_why_and_fail(hub_process, hub_database_url, hello_bundle_tar, tmp_path):
    _publish(hub_process, hello_bundle_tar)
    _, link = _make_link(hub_process, _vendor(hub_process, tmp_path, hub_database_url), uses="0")
    cert = tmp_path / "hub-data" / "tls" / "hub.crt"
    tampered = tmp_path / "tampered" / "hello-1.0.0.tar"
    tampered.parent.mkdir()
    tampered.write_bytes(b"not the bundle" * 1000)  # a partial download whose bytes went wrong
    refused = _run_link(link, cert, tampered.parent)
    assert refused.returncode == 1 and "is not the one the hub named" in refused.stderr, refused.stderr[-2000:]
    assert not tampered.exists() and not (tampered.parent / "hello-1.0.0").exists()
    forged = _run_link(link[:-3] + "abc", cert, tmp_path / "forged")
    assert forged.returncode == 1 and "not one this hub made" in forged.stderr
    # the hub process keeps an SQLite catalog in its data folder (hub_command gives --database otherwise)
    engine = make_engine(f"sqlite:///{tmp_path / 'hub-data' / 'hub.sqlite3'}" if hub_database_url.startswith("sqlite")
                         else hub_database_url)
    try:
        with Session(engine) as db:
            db.execute(update(ApiToken).where(ApiToken.id == link.rsplit("/", 1)[1].split("_")[1])
                       .values(expires_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)))
            db.commit()
    finally:
        engine.dispose()
    expired = _run_link(link, cert, tmp_path / "expired")
    assert expired.returncode == 1 and "This install link expired on" in expired.stderr
    assert not (tmp_path / "expired").exists()
