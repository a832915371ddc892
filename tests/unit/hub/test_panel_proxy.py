"""The site's control panel opened through the hub: only for operators and admins (a viewer gets
no button and a 403 naming the role), the panel's own sign-in still asked for (the hub adds no
credential and never sends its own cookies to the site), the panel's cookie and redirects kept
under the site's prefix, a foreign Origin refused, and every request audited with its bytes; the
audit page for operators only."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from hub.models import AuditEvent, SupportSession, User
from hub.panel_proxy import panel_cookies, rewrite_location, rewrite_set_cookie
from installer.tls import ensure_self_signed
from panel import create_app as panel_app
from tests.unit.hub.conftest import PASSWORD
from tests.unit.hub.sites_helpers import FakeSite
from tests.unit.hub.test_pages import _csrf
from tests.unit.hub.test_sites import _token
from tests.unit.test_panel_app import PASSWORD as PANEL_PASSWORD
from tests.unit.test_panel_app import site as panel_site  # noqa: F401  (the panel's site fixture)

HUB = "https://hub.test"
SSH = {"port": 2222, "host_key": "ssh-ed25519 AAAA", "fingerprint": "SHA256:x"}


@pytest.fixture
def panel(panel_site, tmp_path: Path) -> Iterator[tuple[int, list[dict]]]:  # noqa: F811
    """The real panel app over HTTPS on loopback, standing for the tunnel's hub-local port; the
    headers each request arrived with."""
    cert = ensure_self_signed(tmp_path / "p.crt", tmp_path / "p.key", "127.0.0.1", "panel")
    app = panel_app(panel_site)
    seen: list[dict] = []
    app.before_request(lambda: seen.append(dict(__import__("flask").request.headers)) and None)
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=(str(cert.cert_path), str(cert.key_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port, seen
    server.shutdown()


@pytest.fixture
def site_with_session(client, hub_engine, panel) -> str:
    client.application.config["SSH_ENDPOINT"] = SSH
    site = FakeSite()
    assert site.enroll(client, _token(hub_engine)).status_code == 201
    opened = client.post(f"/api/v1/sites/{site.id}/support", data=site.sealed("support-open", allow=["panel"],
                                                                                 ttl_s=600))
    assert opened.status_code == 201
    with Session(hub_engine) as db:
        session = db.get(SupportSession, opened.json["session"])
        session.ports_json = json.dumps({"panel": panel[0]})
        db.commit()
    return site.id


def _role(hub_engine, role: str) -> None:
    with Session(hub_engine) as db:
        db.scalar(select(User).where(User.name == "alice")).role = role
        db.commit()


def _sign_in(client, name: str = "alice") -> None:  # type: ignore[no-untyped-def]
    token = _csrf(client.get("/login", base_url=HUB).data)
    done = client.post("/login", base_url=HUB, data={"name": name, "password": PASSWORD, "csrf": token})
    assert done.status_code == 302


def _get(client, path: str, **headers: str):  # type: ignore[no-untyped-def]
    return client.get(path, base_url=HUB, headers=headers, buffered=True)


def _audit(hub_engine, action: str) -> list[AuditEvent]:
    with Session(hub_engine) as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_viewer_sees_no_button_and_is_refused_with_the_role_it_takes(client, hub_engine, user, site_with_session):
    _sign_in(client)
    page = _get(client, f"/sites/{site_with_session}").get_data(as_text=True)
    assert "Open control panel" not in page and "takes the role operator" in page
    refused = _get(client, f"/sites/{site_with_session}/panel/")
    assert refused.status_code == 403 and "takes the role operator" in refused.get_data(as_text=True)
    assert _get(client, "/audit").status_code == 403
    assert "refused: role viewer" in _audit(hub_engine, "refused")[-1].detail


def test_an_operator_reaches_the_panels_own_sign_in_and_signs_in_there(client, hub_engine, user, panel,
                                                                     site_with_session):
    _role(hub_engine, "operator")
    _sign_in(client, "alice")
    base = f"/sites/{site_with_session}/panel/"
    assert f'href="{base}"' in _get(client, f"/sites/{site_with_session}").get_data(as_text=True)

    first = _get(client, base)
    assert first.status_code == 303 and first.headers["Location"] == base + "signin"
    signin = _get(client, base + "signin")
    assert signin.status_code == 200 and "Admin password" in signin.get_data(as_text=True)
    assert _get(client, base + "api/overview").status_code == 401  # no credential added by the hub
    assert all("hub_session" not in h.get("Cookie", "") and "Authorization" not in h for h in panel[1])

    foreign = client.post(base + "signin", base_url=HUB, data={"password": PANEL_PASSWORD}, buffered=True,
                          headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    signed = client.post(base + "signin", base_url=HUB, data={"password": PANEL_PASSWORD}, headers={"Origin": HUB},
                         buffered=True)
    assert signed.status_code == 303 and signed.headers["Location"] == base
    cookie = signed.headers["Set-Cookie"]
    assert cookie.startswith("site.__Host-airlift_panel=") and f"Path={base}" in cookie and "Path=/;" not in cookie
    overview = _get(client, base + "api/overview")
    assert overview.status_code == 200 and overview.json["app"]["name"] == "hello"

    lines = _audit(hub_engine, "panel")
    assert lines and all(a.actor == "alice" and a.site_id == site_with_session for a in lines)
    assert any("GET /api/overview" in a.detail and a.bytes_in > 0 for a in lines)
    assert any("POST /signin" in a.detail and a.bytes_out > 0 for a in lines)
    audit_page = _get(client, f"/audit?site={site_with_session}").get_data(as_text=True)
    assert "GET /api/overview" in audit_page and "open" in audit_page


def test_without_an_open_session_the_proxy_says_so(client, hub_engine, user):
    _role(hub_engine, "admin")
    _sign_in(client)
    answer = _get(client, "/sites/site-nowhere/panel/")
    assert answer.status_code == 409 and "no open support session" in answer.get_data(as_text=True)


def test_the_panels_cookies_and_redirects_stay_under_the_sites_prefix():
    assert rewrite_set_cookie("__Host-airlift_panel=abc; Secure; HttpOnly; Path=/; SameSite=Strict", "s1") == \
        "site.__Host-airlift_panel=abc; Secure; HttpOnly; SameSite=Strict; Path=/sites/s1/panel/"
    assert rewrite_location("/signin", "s1") == "/sites/s1/panel/signin"
    assert rewrite_location("https://127.0.0.1:4443/", "s1") == "/sites/s1/panel/"
    assert rewrite_location("https://elsewhere.example/x", "s1") == "https://elsewhere.example/x"
    assert panel_cookies({"hub_session": "h", "site.__Host-airlift_panel": "p"}) == "__Host-airlift_panel=p"
