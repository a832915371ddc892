"""The control panel in Chromium, on a real install of the hello bundle (temp root and state dir,
the k3s stand-in) with a worker joined afterwards: a wrong password refused, then sign-in; the
overview's health, versions, endpoints and no alert firing; the nodes with their versions and
Ready state, the join command, a node's charts from the install's Prometheus; the worker removed
from the panel with a confirmation, its progress live; the operations' history with the install's log; a support report
made on the spot and downloaded (a .tar.gz with its summary.txt); a sign-in link spent once;
nothing asked of another host. Screenshots in tests/artifacts/panel/."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from installer.statedir import StateDir
from installer.tls import saved_fingerprint
from tests.browser.conftest import Pages
from tests.fixtures.net import listening, wait_until
from tests.integration.installer_run import REPO, Target

pytestmark = pytest.mark.browser

ARTIFACTS = REPO / "tests" / "artifacts" / "panel"
PASSWORD = "panel password for tests"
WORKER = "airlift-panel-worker"


def join_worker(target: Target, tmp: Path) -> subprocess.CompletedProcess[str]:
    """A second "host" (its own root, state, hostname and loopback address) joins as a worker."""
    root, state = tmp / "worker-root", tmp / "worker-state"
    root.mkdir()
    token = tmp / "token"
    token.write_text(StateDir(target.state).join_token.read_text())
    argv = [sys.executable, "-m", "installer", "join", f"127.0.0.1:{target.agent_port}", "--token-file", str(token),
            "--fingerprint", str(saved_fingerprint(target.state)), "--role", "worker", "--advertise-addr", "127.0.0.2",
            "--state-dir", str(state), "--root", str(root)]
    return subprocess.run(["unshare", "--uts", "sh", "-c", f'hostname {WORKER} && exec "$@"', "sh", *argv], cwd=REPO,
                          env=target.env(), capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def site(hello_bundle_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("panel-browser")
    bundle = tmp / "bundle"
    shutil.copytree(hello_bundle_dir, bundle)
    target = Target.make(bundle, tmp)
    target.root.mkdir()
    secret = tmp / "panel-password"
    secret.write_text(PASSWORD + "\n")
    result = target.install("--skip-check", "ports", "--panel-password-file", str(secret))
    assert result.returncode == 0, result.stdout + result.stderr
    joined = join_worker(target, tmp)
    assert joined.returncode == 0, joined.stdout + joined.stderr
    assert wait_until(lambda: listening(target.panel_port), 60)
    yield target
    subprocess.run([sys.executable, "-m", "installer", "uninstall", "--yes", "--state-dir", str(tmp / "worker-state"),
                    "--root", str(tmp / "worker-root")], cwd=REPO, capture_output=True, timeout=120)
    target.uninstall()


@pytest.fixture
def pages(chromium, request):
    book = Pages(chromium, request.node.name)
    yield book
    book.close()


def base(site: Target) -> str:
    return f"https://127.0.0.1:{site.panel_port}"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def signed_in(site: Target, pages: Pages):
    page = pages.open(base(site) + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Admin password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#screen-overview h1")).to_have_text("Overview")
    return page


def test_sign_in_refuses_a_wrong_password_then_lets_the_right_one_in(site, pages):
    page = pages.open(base(site) + "/")
    expect(page).to_have_url(base(site) + "/signin")
    expect(page.locator(".app-name")).to_have_text("hello")
    page.get_by_label("Admin password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signin-problem")).to_have_text("Wrong password.")
    shot(page, "signin-refused")
    page.get_by_label("Admin password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#app-name")).to_have_text("hello")
    expect(page.locator("#connection")).to_have_text("Connected")
    assert pages.off_host(f"127.0.0.1:{site.panel_port}") == [] and pages.errors == []


def test_overview_shows_health_versions_endpoints_and_the_alerts_of_monitoring(site, pages):
    page = signed_in(site, pages)
    expect(page.locator("#health-word")).to_have_text(re.compile("healthy|degraded|down"))
    expect(page.locator("#versions")).to_contain_text("hello 1.0.0")
    expect(page.locator("#versions")).to_contain_text("k3s")
    expect(page.locator("#endpoints")).to_contain_text("http://127.0.0.1:")
    expect(page.locator("#alerts")).to_have_text("No alert is firing.")
    expect(page.locator("#checks")).to_contain_text("control panel running")
    shot(page, "overview")
    assert pages.off_host(f"127.0.0.1:{site.panel_port}") == [] and pages.errors == []


def test_nodes_then_removing_the_worker_from_the_panel(site, pages):
    page = signed_in(site, pages)
    page.get_by_role("link", name="Nodes").click()
    rows = page.locator("#node-rows tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("(first master)")
    expect(page.locator(f"#node-rows tr:has-text('{WORKER}')")).to_contain_text("Ready")
    expect(page.locator("#join-commands")).to_contain_text("--role worker")
    page.get_by_role("button", name="Charts").first.click()
    expect(page.locator("#charts figure")).to_have_count(3)
    # A site that has just started has no sample yet: the charts redraw every 15 s until one comes.
    expect(page.locator("#charts figcaption").nth(1)).to_have_text(re.compile(r"Memory: \d+\.\d %"), timeout=60_000)
    shot(page, "nodes")

    page.get_by_role("button", name=f"Remove {WORKER}…").click()
    expect(page.locator("#remove-confirm")).to_be_visible()
    expect(page.locator("#remove-cancel")).to_be_focused()
    shot(page, "remove-confirm")
    page.locator("#remove-yes").click()
    expect(page.locator("#removal-log")).to_contain_text(WORKER)
    expect(page.locator("#removal-state")).to_have_text(f"Node {WORKER} was removed.", timeout=240_000)
    expect(rows).to_have_count(1)
    shot(page, "node-removed")
    assert pages.off_host(f"127.0.0.1:{site.panel_port}") == [] and pages.errors == []


def test_operations_list_the_history_with_phases_and_the_log(site, pages):
    page = signed_in(site, pages)
    page.get_by_role("link", name="Operations").click()
    items = page.locator("#operation-list li")
    expect(items.last).to_contain_text("Install")
    expect(page.locator("#operation-list")).to_contain_text(f"Expand node {WORKER}")
    items.last.get_by_role("button").click()
    expect(page.locator("#operation-title")).to_have_text("Install")
    expect(page.locator("#operation-phases")).to_contain_text("Start the cluster service")
    expect(page.locator("#operation-log")).to_contain_text("airlift-panel started")
    shot(page, "operations")
    assert pages.off_host(f"127.0.0.1:{site.panel_port}") == [] and pages.errors == []


def test_support_makes_a_report_on_the_spot_and_downloads_it(site, pages, tmp_path):
    page = signed_in(site, pages)
    page.get_by_role("link", name="Support").click()
    expect(page.locator("#support-state")).to_contain_text("made when you ask for it")
    with page.expect_download(timeout=120_000) as made:
        page.locator("#support-download").click()
    download = made.value
    assert re.fullmatch(r"airlift-report-.+\.tar\.gz", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.stat().st_size > 0
    with tarfile.open(saved) as tar:
        names = [m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile()]
        summary = tar.extractfile(next(m for m in tar.getmembers() if m.name.endswith("/summary.txt"))).read().decode()
    assert "summary.txt" in names and "redactions.txt" in names
    assert summary.startswith("Support report of ")
    expect(page.locator("#support-state")).to_contain_text(f"Downloaded {download.suggested_filename}")
    expect(page.locator("#support-download")).to_be_enabled()
    shot(page, "support")
    assert pages.off_host(f"127.0.0.1:{site.panel_port}") == [] and pages.errors == []


def test_a_sign_in_link_works_once(site, pages):
    made = site.run("panel-link", *site.location())
    link = re.search(r"https://\S+/link\?token=\S+", made.stdout).group(0)
    page = pages.open(link)
    expect(page.locator("#health-word")).to_have_text(re.compile("healthy|degraded|down"))
    assert "token" not in page.url  # dropped from the address bar
    spent = pages.open(link)
    expect(spent.locator("#signin-problem")).to_contain_text("already used or expired")
    log = StateDir(site.state).panel_log.read_text()
    assert link.split("token=")[1] not in log and PASSWORD not in log
