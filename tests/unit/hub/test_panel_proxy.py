"""A site's control panel opened from the hub, on a panel port of its own (an origin apart from
the hub's): only operators and admins get a ticket (a viewer gets no button and a 403 naming the
role); the ticket works once, on its port, for a grant cookie of that port; the panel's own
sign-in is still asked for, the hub's cookies never reach the site, a foreign Origin, another
origin's subresource and a service worker are refused; the grant ends with the session, the role
and the lease; the hub's own port proxies nothing; every request is audited with its bytes."""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import request
from gunicorn.config import Config
from gunicorn.http.parser import RequestParser
from gunicorn.http.wsgi import create
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from hub.app import create_app
from hub.models import AuditEvent, SupportSession, User
from hub.panel_gateway import PORT_KEY, create_gateway, grant_cookie
from hub.panel_proxy import panel_cookies, rewrite_location, rewrite_set_cookie
from hub.server import parse_panel_ports
from hub.websession import COOKIE
from hub.wsgi_server import ByLocalPort, HubLogger
from installer.errors import AirliftError
from installer.tls import ensure_self_signed
from panel import create_app as panel_app
from tests.unit.hub.conftest import PASSWORD
from tests.unit.hub.sites_helpers import FakeSite
from tests.unit.hub.test_pages import _csrf
from tests.unit.hub.test_sites import _token
from tests.unit.test_panel_app import PASSWORD as PANEL_PASSWORD
from tests.unit.test_panel_app import site as panel_site  # noqa: F401  (the panel's site fixture)

HUB = "https://hub.test"
PORTS = (9444, 9445)
CLIENT = ("127.0.0.1", 50000)
SSH = {"port": 2222, "host_key": "ssh-ed25519 AAAA", "fingerprint": "SHA256:x"}


@pytest.fixture
def panel(panel_site, tmp_path: Path) -> Iterator[tuple[int, list[dict]]]:  # noqa: F811
    """The real panel app over HTTPS on loopback, standing for the tunnel's hub-local port; the
    headers each request arrived with."""
    cert = ensure_self_signed(tmp_path / "p.crt", tmp_path / "p.key", "127.0.0.1", "panel")
    app = panel_app(panel_site)
    seen: list[dict] = []
    app.before_request(lambda: seen.append(dict(request.headers)) and None)
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=(str(cert.cert_path), str(cert.key_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port, seen
    server.shutdown()


class PanelPort:
    """A browser's requests to one panel port of the hub, as the server hands them to the gateway."""

    def __init__(self, gateway, port: int) -> None:  # type: ignore[no-untyped-def]
        self.client, self.port = gateway.test_client(), port
        self.origin = f"https://hub.test:{port}"

    def get(self, path: str, **headers: str):  # type: ignore[no-untyped-def]
        return self.client.get(path, base_url=self.origin, headers=headers, environ_base={PORT_KEY: self.port},
                               buffered=True)

    def post(self, path: str, data: dict, **headers: str):  # type: ignore[no-untyped-def]
        return self.client.post(path, base_url=self.origin, data=data, headers=headers,
                                environ_base={PORT_KEY: self.port}, buffered=True)

    def cookie(self, name: str, value: str) -> None:
        self.client.set_cookie(name, value, domain="hub.test")


@pytest.fixture
def hub_app(hub_engine, tmp_path: Path):  # type: ignore[no-untyped-def]
    app = create_app(hub_engine, tmp_path / "data", panel_ports=PORTS)
    app.config["SSH_ENDPOINT"] = SSH
    return app


@pytest.fixture
def ports(hub_app) -> dict[int, PanelPort]:  # type: ignore[no-untyped-def]
    gateway = create_gateway(hub_app.extensions["hub"])
    return {port: PanelPort(gateway, port) for port in PORTS}


def _open_session(client, hub_engine, panel_port: int, site: FakeSite | None = None) -> FakeSite:  # type: ignore[no-untyped-def]
    site = site or FakeSite()
    assert site.enroll(client, _token(hub_engine)).status_code == 201
    opened = client.post(f"/api/v1/sites/{site.id}/support", data=site.sealed("support-open", allow=["panel"],
                                                                                 ttl_s=600))
    assert opened.status_code == 201
    with Session(hub_engine) as db:
        db.get(SupportSession, opened.json["session"]).ports_json = json.dumps({"panel": panel_port})
        db.commit()
    return site


@pytest.fixture
def site(client, hub_engine, panel) -> FakeSite:  # type: ignore[no-untyped-def]
    return _open_session(client, hub_engine, panel[0])


def _role(hub_engine, role: str, name: str = "alice") -> None:
    with Session(hub_engine) as db:
        db.scalar(select(User).where(User.name == name)).role = role
        db.commit()


def _sign_in(client, name: str = "alice") -> None:  # type: ignore[no-untyped-def]
    token = _csrf(client.get("/login", base_url=HUB).data)
    done = client.post("/login", base_url=HUB, data={"name": name, "password": PASSWORD, "csrf": token})
    assert done.status_code == 302


def _get(client, path: str, **headers: str):  # type: ignore[no-untyped-def]
    return client.get(path, base_url=HUB, headers=headers, buffered=True)


def _open(client, site_id: str, **headers: str):  # type: ignore[no-untyped-def]
    """"Open control panel" pressed on the site's page."""
    token = _csrf(_get(client, f"/sites/{site_id}").data)
    return client.post(f"/sites/{site_id}/panel", base_url=HUB, data={"csrf": token}, headers=headers, buffered=True)


def _ticket(answer) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    assert answer.status_code == 303, answer.get_data(as_text=True)
    where = urlsplit(answer.headers["Location"])
    assert where.scheme == "https" and where.hostname == "hub.test" and where.path == "/.airlift/enter"
    return int(where.port or 0), parse_qs(where.query)["ticket"][0]


def _enter(ports: dict[int, PanelPort], client, site_id: str) -> PanelPort:  # type: ignore[no-untyped-def]
    port, ticket = _ticket(_open(client, site_id))
    entered = ports[port].get(f"/.airlift/enter?ticket={ticket}")
    assert entered.status_code == 303 and entered.headers["Location"] == "/", entered.get_data(as_text=True)
    return ports[port]


def _audit(hub_engine, action: str) -> list[AuditEvent]:
    with Session(hub_engine) as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_viewer_sees_no_button_and_is_refused_with_the_role_it_takes(client, hub_engine, user, site):
    _sign_in(client)
    page = _get(client, f"/sites/{site.id}").get_data(as_text=True)
    assert "Open control panel" not in page and "takes the role operator" in page
    refused = _open(client, site.id)
    assert refused.status_code == 403 and "takes the role operator" in refused.get_data(as_text=True)
    assert _get(client, "/audit").status_code == 403
    assert "refused: role viewer" in _audit(hub_engine, "refused")[-1].detail


def test_an_operator_enters_on_a_panel_port_and_meets_the_panels_own_sign_in(client, hub_engine, user, panel, site,
                                                                           ports):
    _role(hub_engine, "operator")
    _sign_in(client)
    page = _get(client, f"/sites/{site.id}")
    assert 'id="open-panel"' in page.get_data(as_text=True)
    assert "form-action 'self' https://hub.test:9444 https://hub.test:9445" in page.headers["Content-Security-Policy"]
    assert _open(client, site.id, **{"Sec-Fetch-Site": "same-site"}).status_code == 403  # not from the hub's page
    port, ticket = _ticket(_open(client, site.id))
    entered = ports[port].get(f"/.airlift/enter?ticket={ticket}")
    assert entered.status_code == 303 and entered.headers["Location"] == "/"
    assert entered.headers["Clear-Site-Data"] == '"cache", "storage"'
    grant = entered.headers["Set-Cookie"]
    assert grant.startswith(f"__Host-airlift_grant_{port}=") and "Domain" not in grant and "Path=/" in grant
    assert all(flag in grant for flag in ("Secure", "HttpOnly", "SameSite=Strict"))

    at = ports[port]
    at.cookie(COOKIE, client.get_cookie(COOKIE, domain="hub.test").value)  # the browser sends the hub's cookie to every port of its host
    first = at.get("/")
    assert first.status_code == 303 and first.headers["Location"] == "/signin"
    assert "Admin password" in at.get("/signin").get_data(as_text=True)
    assert at.get("/api/overview").status_code == 401  # no credential added by the hub
    signed = at.post("/signin", {"password": PANEL_PASSWORD}, Origin=at.origin)
    assert signed.status_code == 303 and signed.headers["Location"] == "/"
    cookie = signed.headers["Set-Cookie"]
    assert cookie.startswith(f"__Host-p{port}.__Host-airlift_panel=") and "Path=/" in cookie and "Secure" in cookie
    overview = at.get("/api/overview")
    assert overview.status_code == 200 and overview.json["app"]["name"] == "hello"
    received = " ".join(h.get("Cookie", "") for h in panel[1])
    assert "__Host-airlift_panel=" in received and COOKIE not in received and "grant" not in received
    assert all("Authorization" not in h and h["Origin"] == f"https://127.0.0.1:{panel[0]}" for h in panel[1])

    lines = _audit(hub_engine, "panel")
    assert lines and all(a.actor == "alice" and a.site_id == site.id for a in lines)
    assert any(f"opened {site.id}'s control panel on hub port {port}" in a.detail for a in lines)
    assert any("GET /api/overview" in a.detail and a.bytes_in > 0 for a in lines)
    assert any("POST /signin" in a.detail and a.bytes_out > 0 for a in lines)
    assert "GET /api/overview" in _get(client, f"/audit?site={site.id}").get_data(as_text=True)


def test_a_panel_port_refuses_what_did_not_come_from_its_own_pages(client, hub_engine, user, site, ports):
    _role(hub_engine, "operator")
    _sign_in(client)
    at = _enter(ports, client, site.id)
    assert at.get("/signin").status_code == 200
    for answer in (at.post("/signin", {"password": PANEL_PASSWORD}, Origin=HUB),  # the hub's pages
                   at.post("/signin", {"password": PANEL_PASSWORD}, Origin="https://hub.test:9445"),  # another panel
                   at.post("/signin", {"password": PANEL_PASSWORD}),
                   at.post("/signin", {"password": PANEL_PASSWORD}, Origin="https://hub.test:9", Host="hub.test:9"),
                   at.get("/api/overview", Origin="https://hub.test:9445"),
                   at.get("/api/overview", **{"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors"}),
                   at.get("/sw.js", **{"Service-Worker": "script"})):
        assert answer.status_code == 403 and "did not come from this control panel" in answer.get_data(as_text=True)
    assert at.get("/signin", **{"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate"}).status_code == 200
    assert len(_audit(hub_engine, "refused")) == 7


def test_a_ticket_works_once_and_only_on_its_own_port(client, hub_engine, user, site, ports):
    _role(hub_engine, "admin")
    _sign_in(client)
    port, ticket = _ticket(_open(client, site.id))
    other = next(p for p in PORTS if p != port)
    elsewhere = ports[other].get(f"/.airlift/enter?ticket={ticket}")
    assert elsewhere.status_code == 403 and f"made for the panel port {port}" in elsewhere.get_data(as_text=True)
    port, ticket = _ticket(_open(client, site.id))
    assert ports[port].get(f"/.airlift/enter?ticket={ticket}").status_code == 303
    again = ports[port].get(f"/.airlift/enter?ticket={ticket}")
    assert again.status_code == 403 and "used already" in again.get_data(as_text=True)
    forged = ports[port].get("/.airlift/enter?ticket=forged")
    assert forged.status_code == 403 and "not one the hub made" in forged.get_data(as_text=True)
    assert len(_audit(hub_engine, "refused")) == 3


def test_a_grant_opens_its_own_port_only(client, hub_engine, user, panel, site, ports):
    _role(hub_engine, "operator")
    _sign_in(client)
    at = _enter(ports, client, site.id)
    assert at.get("/signin").status_code == 200
    grant = at.client.get_cookie(grant_cookie(at.port), domain="hub.test").value
    other = ports[next(p for p in PORTS if p != at.port)]
    other_site = _open_session(client, hub_engine, panel[0])
    assert _ticket(_open(client, other_site.id))[0] == other.port  # the other port is leased to the other site
    reached = len(panel[1])
    for name in (grant_cookie(at.port), grant_cookie(other.port)):
        other.cookie(name, grant)
        refused = other.get("/signin")
        assert refused.status_code == 403 and "Admin password" not in refused.get_data(as_text=True)
    assert len(panel[1]) == reached  # nothing reached the site


def test_the_grant_ends_with_the_session_and_with_the_role(client, hub_engine, user, site, ports):
    _role(hub_engine, "operator")
    _sign_in(client)
    at = _enter(ports, client, site.id)
    assert at.get("/signin").status_code == 200
    _role(hub_engine, "viewer")
    refused = at.get("/signin")
    assert refused.status_code == 403 and "may no longer reach into a site (role viewer)" in refused.get_data(
        as_text=True)
    _role(hub_engine, "operator")
    assert at.get("/signin").status_code == 200
    assert client.post(f"/api/v1/sites/{site.id}/support/close", data=site.sealed("support-close")).status_code == 200
    ended = at.get("/signin")
    assert ended.status_code == 403 and "support session this was made for has ended" in ended.get_data(as_text=True)


def test_a_site_keeps_its_port_and_a_full_hub_says_so(client, hub_engine, user, panel, site, ports):
    _role(hub_engine, "operator")
    _sign_in(client)
    first = _ticket(_open(client, site.id))[0]
    assert _ticket(_open(client, site.id))[0] == first
    second = _open_session(client, hub_engine, panel[0])
    assert _ticket(_open(client, second.id))[0] != first
    third = _open_session(client, hub_engine, panel[0])
    full = _open(client, third.id)
    assert full.status_code == 409 and "All 2 control-panel ports of this hub (9444-9445) are lent" in full.get_data(
        as_text=True)
    assert client.post(f"/api/v1/sites/{site.id}/support/close", data=site.sealed("support-close")).status_code == 200
    assert _ticket(_open(client, third.id))[0] == first  # the closed session's port is taken back


def test_the_hubs_own_port_proxies_nothing(client, hub_engine, user, site):
    _role(hub_engine, "admin")
    _sign_in(client)
    for path in (f"/sites/{site.id}/panel/", f"/sites/{site.id}/panel/api/overview", "/.airlift/enter?ticket=x"):
        assert _get(client, path).status_code == 404


def test_without_panel_ports_the_site_page_says_which_flag(client, hub_app, hub_engine, user, site):
    hub_app.config["PANEL_PORTS"] = ()
    _role(hub_engine, "admin")
    _sign_in(client)
    page = _get(client, f"/sites/{site.id}").get_data(as_text=True)
    assert 'id="open-panel"' not in page and "started with --panel-ports none" in page
    off = _open(client, site.id)
    assert off.status_code == 409 and "--panel-ports A-B" in off.get_data(as_text=True)


def test_without_an_open_session_opening_says_so(client, hub_engine, user):
    _role(hub_engine, "admin")
    _sign_in(client)
    token = _csrf(_get(client, "/sites").data)
    answer = client.post("/sites/site-nowhere/panel", base_url=HUB, data={"csrf": token})
    assert answer.status_code == 409 and "no open support session" in answer.get_data(as_text=True)


def test_the_server_picks_the_application_by_the_sockets_local_port_never_the_host_header():
    def app(name: str):  # type: ignore[no-untyped-def]
        return lambda environ, start: [name.encode(), str(environ.get(PORT_KEY)).encode()]

    served = ByLocalPort(app("hub"), app("gateway"), (9444,), PORT_KEY)

    def on(port: int, host: str) -> list[bytes]:  # the environ gunicorn makes for a request to the listener on `port`
        request = next(RequestParser(Config(), [f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()], CLIENT))
        _response, environ = create(request, None, CLIENT, ("127.0.0.1", port), Config())
        return list(served(environ, None))
    assert on(9444, "hub.test:8443") == [b"gateway", b"9444"]
    assert on(8443, "hub.test:9444") == [b"hub", b"None"]


def test_panel_ports_default_to_the_eight_after_the_hubs_and_can_be_turned_off():
    assert parse_panel_ports(None, 8443) == tuple(range(8444, 8452))
    assert parse_panel_ports("9001-9003,9010", 8443) == (9001, 9002, 9003, 9010)
    assert parse_panel_ports("none", 8443) == ()
    for bad in ("8443-8445", "9001-9000", "x", "9001,9001", "70000"):
        with pytest.raises(AirliftError):
            parse_panel_ports(bad, 8443)


def test_the_panels_cookies_stay_on_their_port_and_redirects_on_the_panel():
    assert rewrite_set_cookie("__Host-airlift_panel=abc; Secure; HttpOnly; Path=/; SameSite=Strict", 9444) == \
        "__Host-p9444.__Host-airlift_panel=abc; HttpOnly; SameSite=Strict; Secure; Path=/"
    assert rewrite_set_cookie("x=1; Domain=evil.example; Path=/api", 9444) == "__Host-p9444.x=1; Secure; Path=/"
    assert rewrite_location("/signin") == "/signin"
    assert rewrite_location("https://127.0.0.1:4443/") == "/"
    assert rewrite_location("https://elsewhere.example/x") == "https://elsewhere.example/x"
    assert panel_cookies({"hub_session": "h", "__Host-airlift_grant_9444": "g", "__Host-p9444.__Host-airlift_panel": "p",
                          "__Host-p9445.__Host-airlift_panel": "q"}, 9444) == "__Host-airlift_panel=p"


def test_the_request_log_leaves_the_ticket_out():
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/.airlift/enter?ticket=T1ck-et_x", "PATH_INFO": "/.airlift/enter",
               "QUERY_STRING": "ticket=T1ck-et_x", "SERVER_PROTOCOL": "HTTP/1.1"}
    atoms = HubLogger(Config()).atoms(SimpleNamespace(status="303 See Other", headers=[], sent=0),
                                            SimpleNamespace(headers=[]), environ, datetime.timedelta(milliseconds=3))
    assert atoms["r"] == "GET /.airlift/enter?ticket=… HTTP/1.1"
    assert not any("T1ck" in str(value) for value in atoms.values())
