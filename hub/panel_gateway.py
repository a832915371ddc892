"""The hub's panel ports (`python -m hub serve --panel-ports`): each serves one site's control
panel at its root, on an origin of its own, so a compromised site's panel scripts can read
nothing of the hub's pages nor of another site's panel, and never see the hub's session cookie.

A browser comes in with the single-use ticket "Open control panel" made (hub/panel_passes.py) at
/.airlift/enter; it gets a grant cookie of this port, and the port's storage and cache are
cleared (another site's panel may have had the port before and left a service worker). Every
other request needs that grant, still good for this port's lease, and must come from this
port's own pages: a foreign Origin, a POST without one, another origin's subresource, or a
service worker's script is refused. Which port a request came in on is the local port of the
accepted socket (hub/wsgi_server.py `ByLocalPort`), never the Host header.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from hub import panel_passes, panel_proxy, support
from hub.context import Hub, close_db, db, hub
from hub.panel_passes import Entry, PassRefused
from wizard.headers import add_security_headers

PORT_KEY = "airlift.panel_port"  # set in the WSGI environ by the server, from the accepted socket
ENTER = "/.airlift/enter"
AGAIN = "Open the control panel again from the site's page on the hub."

bp = Blueprint("panel_gateway", __name__)


def create_gateway(state: Hub) -> Flask:
    """The application of every panel port, sharing the hub's database sessions."""
    app = Flask("hub_panel_ports", root_path=str(Path(__file__).resolve().parent), static_folder=None)
    app.extensions["hub"] = state
    app.register_blueprint(bp)
    app.teardown_appcontext(close_db)
    add_security_headers(app, referrer="same-origin")  # not no-referrer: the panel's forms must send their Origin
    return app


def grant_cookie(port: int) -> str:
    """Cookies do not keep ports apart: the grant's name carries its port."""
    return f"__Host-airlift_grant_{port}"


def this_port() -> int:
    return int(request.environ[PORT_KEY])


def _refusal(message: str, status: int = 403) -> Response:
    return Response(f"Refused: {message}.\n", status, mimetype="text/plain")


def _audit_refusal(actor: str, site_id: str | None, session_id: str | None, detail: str) -> None:
    support.audit(db(), actor, "refused", detail, site_id, session_id)
    db().commit()


@bp.get(ENTER)
def enter() -> BaseResponse:
    port = this_port()
    try:
        entry, grant = panel_passes.redeem(db(), request.args.get("ticket", ""), port)
    except PassRefused as e:
        _audit_refusal("unknown", None, None, f"entering the control panel on port {port} refused: {e}")
        return _refusal(f"{e}. {AGAIN}")
    support.audit(db(), entry.user, "panel", f"entered {entry.site_id}'s control panel on hub port {port}",
                  entry.site_id, entry.session.id)
    db().commit()
    response = redirect("/", 303)
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    response.set_cookie(grant_cookie(port), grant, secure=True, httponly=True, samesite="Strict", path="/")
    return response


@bp.route("/", defaults={"rest": ""}, methods=["GET", "POST"])
@bp.route("/<path:rest>", methods=["GET", "POST"])
def proxy(rest: str) -> Response:
    port = this_port()
    try:
        entry = panel_passes.check_grant(db(), request.cookies.get(grant_cookie(port)), port)
    except PassRefused as e:
        return _refusal(f"{e}. {AGAIN}")
    if why := foreign(port):
        _audit_refusal(entry.user, entry.site_id, entry.session.id,
                       f"{request.method} /{rest} to {entry.site_id}'s control panel refused: {why}")
        return _refusal(f"this request did not come from this control panel's own page ({why})")
    return _forward(entry, port)


def foreign(port: int) -> str | None:
    """Why the request is not from a page of this port's own origin, or None when it is. A browser
    sends Origin with every POST and every cross-origin fetch; a GET without one is a navigation
    (another origin cannot read what it shows) or this origin's own subresource (Fetch metadata)."""
    if request.headers.get("Service-Worker") is not None:
        return "a service worker is not allowed on a panel port"
    own = f"https://{request.host}" if _port_of(request.host) == port else None
    origin = request.headers.get("Origin")
    if origin is not None:
        return None if origin == own else f"Origin {origin}"
    if request.method != "GET":
        return f"a {request.method} without an Origin"
    site = request.headers.get("Sec-Fetch-Site")
    if site in (None, "same-origin", "none") or request.headers.get("Sec-Fetch-Mode") == "navigate":
        return None
    return f"a {site} subresource"


def _port_of(host: str) -> int | None:
    """The port a Host header names (443 when it names none), None when it is not a host."""
    try:
        return urlsplit(f"//{host}").port or 443
    except ValueError:
        return None


def _forward(entry: Entry, port: int) -> Response:
    upstream_port = support.ports_of(entry.session).get("panel")
    if upstream_port is None:
        return _refusal(f"site {entry.site_id}'s support session does not allow its control panel", 409)
    path = request.path + (f"?{request.query_string.decode('latin-1')}" if request.query_string else "")
    body = request.get_data() if request.method == "POST" else None
    try:
        upstream = panel_proxy.send(upstream_port, port, path, body)
    except OSError as e:
        support.audit(db(), entry.user, "panel", f"{request.method} {path} to {entry.site_id}'s panel failed: {e}",
                      entry.site_id, entry.session.id, bytes_out=len(body or b""))
        db().commit()
        return Response(f"Site {entry.site_id}'s control panel does not answer through its support session ({e}). "
                        "The site's tunnel may be reconnecting: try again in a minute.\n", 502, mimetype="text/plain")
    audit = panel_proxy.Audit(hub().sessions, entry.user, entry.site_id, entry.session.id,
                              f"{request.method} {path}", len(body or b""))
    return panel_proxy.response_of(upstream, audit.stream(upstream), port)
