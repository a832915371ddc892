"""The wizard's pages: the single-page app for a session, the way-in page for everyone else."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from wizard.access import COOKIE, Gate

log = logging.getLogger("airlift.wizard")
bp = Blueprint("pages", __name__)

# Served without a session: the way-in page's own look, nothing that drives the install.
PUBLIC_PATHS = {"/static/wizard.css", "/favicon.ico"}


def _gate() -> Gate:
    gate: Gate = current_app.config["GATE"]
    return gate


def locked(status: int = 401, spent: bool = False) -> ResponseReturnValue:
    """The only thing a visitor without a session sees: how to get in."""
    return render_template("locked.html", state_dir=current_app.config["STATE_DIR"], spent=spent), status


@bp.before_app_request
def require_session() -> ResponseReturnValue | None:
    """Every HTTP route but the token exchange needs a live session."""
    if request.endpoint == "pages.index" or request.path in PUBLIC_PATHS:
        return None
    if _gate().admits(request.cookies.get(COOKIE)):
        return None
    log.warning("refused %s %s from %s: no valid session", request.method, request.path, request.remote_addr)
    if request.path.startswith("/api/"):
        return jsonify(error="This browser has no wizard session.",
                       hint="Open the access link printed by ./install in the terminal."), 401
    return locked()


@bp.get("/")
def index() -> ResponseReturnValue:
    """Exchange a URL token for a session cookie, or serve the app to a live session.

    The app is served in the same response that sets the cookie (no redirect), so a link opened
    from another site still lands; the page then drops the token from its address bar.
    """
    gate = _gate()
    token = request.args.get("token")
    if token is None:
        return render_template("index.html") if gate.admits(request.cookies.get(COOKIE)) else locked()
    session = gate.exchange(token)
    if session is None:
        log.warning("refused access token from %s: wrong or already used", request.remote_addr)
        return locked(spent=True)
    log.info("browser at %s opened the wizard", request.remote_addr)
    response = current_app.make_response(render_template("index.html"))
    response.set_cookie(COOKIE, session, httponly=True, secure=True, samesite="Strict", path="/")
    return response


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    return "", 204
