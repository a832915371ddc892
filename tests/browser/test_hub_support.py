""""Open control panel" through the hub in Chromium: a real hub process with its SSH endpoint, a
site linked to it whose support loop (paramiko) forwards its control panel (the panel app over
HTTPS on loopback), an operator who opens the panel from the site's hub page, meets the panel's
own sign-in there, signs in with the site's password and sees the panel; a viewer, no button and a
403 naming the role; last, the operator closes the session from the panel's own Support screen and
the hub has nothing more to forward. Screenshots in tests/artifacts/hub-support; no page asks another host."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from installer.events import Event, EventLog
from installer.hub_link.link import read_link
from installer.panel_access import hash_password, save_password
from installer.statedir import StateDir
from installer.support.grant import open_grant, read_tunnel_state
from installer.tls import ensure_self_signed
from panel import create_app as panel_app
from tests.browser.conftest import REPO, Pages
from tests.browser.hub_site import sign_in
from tests.fixtures.net import wait_until
from tests.integration.hub.test_support_tunnel import Hub, _site, running_loop
from tests.unit.test_panel_app import SiteDouble

ARTIFACTS = REPO / "tests" / "artifacts" / "hub-support"
HUB_PASSWORD, PANEL_PASSWORD = "a long enough password", "panel password for tests"


class Setup:
    def __init__(self, hub: Hub, site_id: str) -> None:
        self.hub, self.site_id = hub, site_id


def _panel(tmp: Path, state: Path) -> Iterator[str]:
    """The site's control panel on loopback (its own HTTPS, its own password, the site's state
    directory, so its Support screen sees the session); its HOST:PORT."""
    save_password(state, hash_password(PANEL_PASSWORD))
    EventLog(StateDir(state).events).append(Event("log", "info", "Installed hello 1.0.0"))
    site = SiteDouble(state)
    site.removed = []
    cert = ensure_self_signed(tmp / "panel.crt", tmp / "panel.key", "127.0.0.1", "panel")
    server = make_server("127.0.0.1", 0, panel_app(site), threaded=True,
                         ssl_context=(str(cert.cert_path), str(cert.key_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("hub-support")
    hub = Hub(tmp / "hub-data")
    for name, role in (("olga", "operator"), ("vic", "viewer")):
        subprocess.run([sys.executable, "-m", "hub", "user", "add", name, "--role", role, "--data", str(hub.data)],
                       cwd=REPO, input=HUB_PASSWORD + "\n", text=True, check=True, capture_output=True)
    hub.start()
    paths = _site(hub, tmp / "site")
    panel = _panel(tmp, paths.root)
    target = next(panel)
    open_grant(paths, ["panel"], 900, {"panel": target}, "test")
    try:
        with running_loop(tmp / "site"):
            assert wait_until(lambda: read_tunnel_state(paths).get("state") == "connected", 30)
            link = read_link(paths)
            assert link is not None
            yield Setup(hub, link.site_id)
    finally:
        next(panel, None)
        hub.stop()


@pytest.fixture
def book(chromium, setup, request) -> Iterator[Pages]:
    pages = Pages(chromium, request.node.name, ARTIFACTS)
    yield pages
    pages.close()
    assert pages.off_host(f"127.0.0.1:{setup.hub.port}") == []
    assert pages.errors == []


def _sign_in(book: Pages, setup: Setup, name: str):  # type: ignore[no-untyped-def]
    page = book.open(f"{setup.hub.url}/sites/{setup.site_id}")
    sign_in(page, name, HUB_PASSWORD)
    page.goto(f"{setup.hub.url}/sites/{setup.site_id}")
    expect(page.get_by_role("heading", name="Support session")).to_be_visible()
    return page


def test_a_viewer_gets_no_button_and_a_403(book, setup):
    page = _sign_in(book, setup, "vic")
    expect(page.get_by_role("link", name="Open control panel")).to_have_count(0)
    expect(page.get_by_role("link", name="Audit")).to_have_count(0)
    answer = page.goto(f"{setup.hub.url}/sites/{setup.site_id}/panel/")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("alert")).to_contain_text("takes the role operator")
    book.shot(page, "viewer-refused")


def test_an_operator_opens_the_sites_control_panel_through_the_hub(book, setup):
    page = _sign_in(book, setup, "olga")
    book.shot(page, "site")
    page.get_by_role("link", name="Open control panel").click()
    expect(page).to_have_url(f"{setup.hub.url}/sites/{setup.site_id}/panel/signin")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    book.shot(page, "panel-signin")
    page.get_by_label("Admin password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong password")
    page.get_by_label("Admin password").fill(PANEL_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{setup.hub.url}/sites/{setup.site_id}/panel/")
    expect(page.locator("#connection")).to_have_text("Connected")
    expect(page.locator("#checks")).to_contain_text("k3s running")
    book.shot(page, "panel")

    page.goto(f"{setup.hub.url}/audit?site={setup.site_id}")
    expect(page.locator("#audit")).to_contain_text("GET /api/overview")
    expect(page.locator("#audit")).to_contain_text("olga")
    book.shot(page, "audit")

    # the panel's Support screen, seen through the session itself: the vendor may close it, not extend it
    page.goto(f"{setup.hub.url}/sites/{setup.site_id}/panel/#support")
    expect(page.locator("#tunnel-state")).to_contain_text("Support session open until")
    expect(page.locator("#tunnel-open")).to_be_hidden()
    book.shot(page, "panel-support")
    page.get_by_role("button", name="Close the support session now").click()

    def gone() -> bool:
        answer = page.request.get(f"{setup.hub.url}/sites/{setup.site_id}/panel/")
        return answer.status == 409 and "no open support session" in answer.text()
    assert wait_until(gone, 30)
