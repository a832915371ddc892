""""Open control panel" through the hub in Chromium: a real hub process with its SSH endpoint and
two panel ports, a site linked to it whose support loop (paramiko) forwards its control panel (the
panel app over HTTPS on loopback), an operator who opens the panel from the site's hub page and
lands on a panel port (an origin apart from the hub's), meets the panel's own sign-in there, signs
in with the site's password and sees the panel; what a security officer asks: a script on the
panel's origin cannot read the hub's pages, the hub's session cookie never reaches the site, a
ticket works once, the grant opens its own port only, the hub's own port proxies nothing; a viewer
gets no button and a 403 naming the role; last, the operator closes the session from the panel's
own Support screen and the panel port lets nobody in. Screenshots in tests/artifacts/hub-support;
no page asks another host.
"""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import request
from playwright.sync_api import expect
from werkzeug.serving import make_server

from installer.events import Event, EventLog
from installer.hub_link.link import read_link
from installer.panel_access import hash_password, save_password
from installer.statedir import StateDir
from installer.support.grant import open_grant, read_tunnel_state
from installer.tls import ensure_self_signed
from panel import create_app as panel_app
from tests.browser.conftest import REPO, Pages, launch_chromium
from tests.browser.hub_site import sign_in
from tests.fixtures.net import wait_until
from tests.integration.hub.test_support_tunnel import Hub, _site, running_loop
from tests.unit.test_panel_app import SiteDouble

ARTIFACTS = REPO / "tests" / "artifacts" / "hub-support"
HUB_PASSWORD, PANEL_PASSWORD = "a long enough password", "panel password for tests"


class Setup:
    def __init__(self, hub: Hub, site_id: str, cookies: list[str]) -> None:
        self.hub, self.site_id, self.cookies = hub, site_id, cookies

    def hosts(self) -> tuple[str, ...]:
        """The hub's port and its panel ports: all a page may ask."""
        return tuple(f"127.0.0.1:{p}" for p in (self.hub.port, *self.hub.panel_ports))


def _panel(tmp: Path, state: Path, cookies: list[str]) -> Iterator[str]:
    """The site's control panel on loopback (its own HTTPS, its own password, the site's state
    directory, so its Support screen sees the session), noting the Cookie header of every request
    it gets; its HOST:PORT."""
    save_password(state, hash_password(PANEL_PASSWORD))
    EventLog(StateDir(state).events).append(Event("log", "info", "Installed hello 1.0.0"))
    site = SiteDouble(state)
    site.removed = []
    cert = ensure_self_signed(tmp / "panel.crt", tmp / "panel.key", "127.0.0.1", "panel")
    app = panel_app(site)
    app.before_request(lambda: cookies.append(request.headers.get("Cookie", "")) and None)
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=(str(cert.cert_path), str(cert.key_path)))
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
    cookies: list[str] = []
    panel = _panel(tmp, paths.root, cookies)
    target = next(panel)
    open_grant(paths, ["panel"], 900, {"panel": target}, "test")
    try:
        with running_loop(tmp / "site"):
            assert wait_until(lambda: read_tunnel_state(paths).get("state") == "connected", 30)
            link = read_link(paths)
            assert link is not None
            yield Setup(hub, link.site_id, cookies)
    finally:
        next(panel, None)
        hub.stop()


@pytest.fixture
def book(chromium, setup, request) -> Iterator[Pages]:
    pages = Pages(chromium, request.node.name, ARTIFACTS)
    yield pages
    pages.close()
    assert pages.off_host(*setup.hosts()) == []
    assert pages.errors == []


def _sign_in(book: Pages, setup: Setup, name: str):  # type: ignore[no-untyped-def]
    page = book.open(f"{setup.hub.url}/sites/{setup.site_id}")
    sign_in(page, name, HUB_PASSWORD)
    page.goto(f"{setup.hub.url}/sites/{setup.site_id}")
    expect(page.get_by_role("heading", name="Support session")).to_be_visible()
    return page


def test_a_viewer_gets_no_button_and_a_403(book, setup):
    page = _sign_in(book, setup, "vic")
    expect(page.get_by_role("button", name="Open control panel")).to_have_count(0)
    expect(page.get_by_role("link", name="Audit")).to_have_count(0)
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = page.request.post(f"{setup.hub.url}/sites/{setup.site_id}/panel", form={"csrf": csrf or ""})
    assert answer.status == 403 and "takes the role operator" in answer.text()
    book.shot(page, "viewer")


def _panel_origin(page) -> str:  # type: ignore[no-untyped-def]
    where = urlsplit(page.url)
    return f"{where.scheme}://{where.netloc}"


def test_an_operator_opens_the_sites_control_panel_on_a_port_of_its_own(book, setup):
    page = _sign_in(book, setup, "olga")
    book.shot(page, "site")
    page.get_by_role("button", name="Open control panel").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    origin = _panel_origin(page)
    assert origin in {f"https://127.0.0.1:{p}" for p in setup.hub.panel_ports}, page.url
    assert page.url == f"{origin}/signin"
    book.shot(page, "panel-signin")
    page.get_by_label("Admin password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong password")
    page.get_by_label("Admin password").fill(PANEL_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{origin}/")
    expect(page.locator("#connection")).to_have_text("Connected")
    expect(page.locator("#checks")).to_contain_text("k3s running")
    book.shot(page, "panel")

    assert any("__Host-airlift_panel=" in c for c in setup.cookies)  # the panel's own cookie reaches it
    assert not any("hub_session" in c or "grant" in c for c in setup.cookies)  # the hub's never do
    assert "hub_session" not in page.evaluate("document.cookie")

    page.goto(f"{setup.hub.url}/audit?site={setup.site_id}")
    expect(page.locator("#audit")).to_contain_text("GET /api/overview")
    expect(page.locator("#audit")).to_contain_text("olga")
    book.shot(page, "audit")


def test_a_script_on_the_panels_origin_cannot_read_the_hub(book, setup):
    """As a compromised panel would try, with its page's CSP out of the way (bypass_csp): only the
    origin keeps the hub's pages from it."""
    page = _sign_in(book, setup, "olga")
    page.get_by_role("button", name="Open control panel").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    context = book.chromium.new_context(ignore_https_errors=True, bypass_csp=True, storage_state=page.context.storage_state())
    book.contexts.append(context)
    panel = context.new_page()
    panel.goto(f"{_panel_origin(page)}/signin")
    expect(panel.get_by_role("heading", name="Sign in")).to_be_visible()
    hub_sites = f"{setup.hub.url}/sites"
    read = panel.evaluate("""async url => {
        try { const r = await fetch(url, {credentials: "include"}); return "read: " + await r.text(); }
        catch (e) { return "refused: " + e.name; } }""", hub_sites)
    assert read == "refused: TypeError"
    opaque = panel.evaluate("""async url => {
        const r = await fetch(url, {credentials: "include", mode: "no-cors"});
        return [r.type, r.status, (await r.text()).length]; }""", hub_sites)
    assert opaque == ["opaque", 0, 0]
    opened = "select count(*) from audit_events where detail like 'opened %'"
    before = setup.hub.rows(opened)
    found = re.search(r'name="csrf" value="([^"]+)"', page.request.get(f"{setup.hub.url}/sites/{setup.site_id}").text())
    assert found is not None
    csrf = found.group(1)
    panel.evaluate("""async ([url, csrf]) => {  // even with the token (which it cannot read), no panel opens
        await fetch(url, {method: "POST", credentials: "include", mode: "no-cors", body: new URLSearchParams({csrf})});
        }""", [f"{setup.hub.url}/sites/{setup.site_id}/panel", csrf])
    assert setup.hub.rows(opened) == before
    assert "hub_session" not in panel.evaluate("document.cookie")


def test_a_ticket_works_once_and_a_grant_opens_its_own_port_only(book, setup):
    page = _sign_in(book, setup, "olga")
    page.get_by_role("button", name="Open control panel").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    enter = next(u for u in reversed(book.requests) if "/.airlift/enter?ticket=" in u)
    again = page.goto(enter)
    assert again is not None and again.status == 403 and "used already" in again.text()
    used = urlsplit(enter).port
    other = next(p for p in setup.hub.panel_ports if p != used)
    elsewhere = page.goto(f"https://127.0.0.1:{other}/")
    assert elsewhere is not None and elsewhere.status == 403 and "no way into this control panel" in elsewhere.text()
    proxied = page.goto(f"{setup.hub.url}/sites/{setup.site_id}/panel/")
    assert proxied is not None and proxied.status == 404  # the hub's own port proxies nothing


def test_entering_a_panel_port_clears_what_an_earlier_visit_left_on_its_origin(book, setup):
    """A panel port is lent to one site's session after another's, and its origin is the port's,
    not the site's: what a page left there (storage, caches) is cleared as the next operator
    enters."""
    page = _sign_in(book, setup, "olga")
    page.get_by_role("button", name="Open control panel").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    origin = _panel_origin(page)
    page.evaluate("""async () => {  // as an earlier site's panel could have
        localStorage.setItem("left", "by the last site");
        await (await caches.open("left")).put("/left", new Response("cached"));
        indexedDB.open("left"); }""")
    assert page.evaluate("localStorage.getItem('left')") == "by the last site"

    page.goto(f"{setup.hub.url}/sites/{setup.site_id}")
    page.get_by_role("button", name="Open control panel").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert _panel_origin(page) == origin  # the session keeps its port: the same origin as before
    assert page.evaluate("localStorage.getItem('left')") is None
    assert page.evaluate("caches.keys()") == []
    assert "left" not in page.evaluate("indexedDB.databases().then(d => d.map(x => x.name))")


def _spki_sha256(cert_path: Path) -> str:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def test_no_page_on_a_panel_port_can_register_a_service_worker(chromium, setup):
    """A service worker would outlive the session and answer for the port whichever site has it
    next. Chromium registers none on an origin whose certificate it had to be told to accept, so
    this browser trusts the hub's certificate, as browsers trust a hub given a CA-signed one
    (--cert/--key): the panel's own script is fetched as a worker, and the port refuses it."""
    trusted = f"--ignore-certificate-errors-spki-list={_spki_sha256(setup.hub.data / 'tls' / 'hub.crt')}"
    browser = launch_chromium(chromium.browser_type, trusted)
    try:
        page = browser.new_context().new_page()
        page.goto(f"{setup.hub.url}/sites/{setup.site_id}")
        sign_in(page, "olga", HUB_PASSWORD)
        page.goto(f"{setup.hub.url}/sites/{setup.site_id}")
        page.get_by_role("button", name="Open control panel").click()
        page.get_by_label("Admin password").fill(PANEL_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#connection")).to_have_text("Connected")
        worker = page.evaluate("""async () => {
            try { await navigator.serviceWorker.register("/static/panel/main.js"); return "registered"; }
            catch (e) { return e.message; } }""")
        assert "bad HTTP response code (403)" in worker, worker
        assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
    finally:
        browser.close()
    assert setup.hub.rows("select count(*) from audit_events where detail like "
                          "'%a service worker is not allowed on a panel port%'") != [(0,)]


def test_closing_from_the_panels_support_screen_shuts_the_panel_port(book, setup):
    page = _sign_in(book, setup, "olga")
    page.get_by_role("button", name="Open control panel").click()
    page.get_by_label("Admin password").fill(PANEL_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    origin = _panel_origin(page)
    # the panel's Support screen, seen through the session itself: the vendor may close it, not extend it
    page.goto(f"{origin}/#support")
    expect(page.locator("#tunnel-state")).to_contain_text("Support session open until")
    expect(page.locator("#tunnel-open")).to_be_hidden()
    book.shot(page, "panel-support")
    page.get_by_role("button", name="Close the support session now").click()

    def shut() -> bool:
        answer = page.request.get(f"{origin}/")
        return answer.status == 403 and "support session this was made for has ended" in answer.text()
    assert wait_until(shut, 30)
    page.goto(f"{setup.hub.url}/sites/{setup.site_id}")
    expect(page.get_by_role("button", name="Open control panel")).to_have_count(0)
