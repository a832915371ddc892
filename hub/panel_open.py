""""Open control panel" on a site's page (operators and admins): lend a panel port to the site's
open support session, make a single-use ticket for this hub user, and send the browser to that
port, an origin apart from the hub's (hub/panel_gateway.py). A refusal is audited."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from hub import panel_passes, support
from hub.context import db
from hub.panel_gateway import ENTER
from hub.roles import SUPPORT, may, needed
from hub.support_cli import session_for
from hub.websession import current, signed_in
from installer.errors import AirliftError
from wizard.headers import CSP

bp = Blueprint("panel_open", __name__)


def panel_ports() -> tuple[int, ...]:
    """The ports this hub serves panels on; none when started with --panel-ports none."""
    ports: tuple[int, ...] = current_app.config.get("PANEL_PORTS", ())
    return ports


def _host() -> str:
    """The hub's host name as the browser reached it (a panel port is on the same host)."""
    host = request.host
    if host.startswith("["):  # [v6] or [v6]:port
        return host[: host.index("]") + 1]
    return host.partition(":")[0]


def panel_origin(port: int) -> str:
    return f"https://{_host()}:{port}"


def site_page_csp() -> str:
    """The site page's policy: its form may send the browser on to the panel ports."""
    origins = " ".join(panel_origin(p) for p in panel_ports())
    return CSP.replace("form-action 'self'", f"form-action 'self' {origins}") if origins else CSP


@bp.post("/sites/<site_id>/panel")
@signed_in
def open_panel(site_id: str) -> BaseResponse | tuple[str, int]:
    session = current()
    assert session is not None
    user = session.user
    what = "open a site's control panel"
    if not may(user.role, SUPPORT):
        support.audit(db(), user.name, "refused", f"{what} of {site_id} refused: role {user.role}", site_id)
        db().commit()
        return _refusal(f"Hub user {user.name} is a {user.role}: to {what} takes the role {needed(SUPPORT)} (or "
                        f"admin). An admin raises it with: python -m hub user role {user.name} {needed(SUPPORT)}", 403)
    if not panel_ports():
        return _refusal("This hub serves no control panels: it was started with --panel-ports none. Start it with "
                        "--panel-ports A-B (ports the vendor's browsers can reach) to turn it on.", 409)
    try:
        found, _ = session_for(db(), site_id, "panel")
        port = panel_passes.lease(db(), found, panel_ports())
    except AirliftError as e:
        return _refusal(f"{e.message}: {e.hint}" if e.hint else e.message, 409)
    ticket = panel_passes.make_ticket(db(), user.name, found, port)
    support.audit(db(), user.name, "panel", f"opened {site_id}'s control panel on hub port {port}", site_id, found.id)
    db().commit()
    return redirect(f"{panel_origin(port)}{ENTER}?ticket={ticket}", 303)


def _refusal(message: str, status: int) -> tuple[str, int]:
    return render_template("error.html", message=message), status
