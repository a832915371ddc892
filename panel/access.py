"""Who may use the panel, and from where: every request but the sign-in pages needs a live session;
every POST must come from the panel's own page (its Origin, and the session's CSRF token); the
password is checked against the scrypt hash the install kept, with wrong tries slowed down per
source address (throttle.py) and logged with it; a one-time link from `./install panel-link`
signs in once.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, jsonify, redirect, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from installer.panel_access import redeem_link_token, verify_password
from installer.panel_access.password import saved_hash
from panel.sessions import COOKIE, Session, Sessions, csrf_matches
from panel.throttle import FREE_TRIES, Throttle

log = logging.getLogger("airlift.panel")
bp = Blueprint("access", __name__)

# Served without a session: the sign-in page, its look, and the two ways in.
PUBLIC = {"access.signin_page", "access.signin", "access.link", "access.favicon"}
PUBLIC_ASSETS = ("/static/wizard.css", "/static/panel.css")


def _sessions() -> Sessions:
    sessions: Sessions = current_app.config["SESSIONS"]
    return sessions


def same_origin() -> bool:
    """The request comes from a page of this panel: its Origin is this very scheme, host and port."""
    return request.headers.get("Origin") == f"https://{request.host}"


def current_session() -> Session | None:
    return _sessions().find(request.cookies.get(COOKIE))


@bp.before_app_request
def guard() -> ResponseReturnValue | None:
    if request.method == "POST" and not same_origin():
        log.warning("refused %s %s from %s: origin %r is not this panel", request.method, request.path,
                    request.remote_addr, request.headers.get("Origin"))
        return jsonify(error="Refused: the request did not come from this control panel's page."), 403
    if request.endpoint in PUBLIC or request.path in PUBLIC_ASSETS:
        return None
    session = current_session()
    if session is None:
        if request.path.startswith("/api/"):
            return jsonify(error="This browser is not signed in to the control panel.",
                           hint="Sign in again (reload the page)."), 401
        return redirect("/signin", 303)
    if request.method == "POST" and not csrf_matches(session, request.headers.get("X-CSRF-Token")
                                                     or request.form.get("csrf")):
        log.warning("refused POST %s from %s: missing or wrong CSRF token", request.path, request.remote_addr)
        return jsonify(error="Refused: this page's security token is missing or out of date.",
                       hint="Reload the page and try again."), 403
    g.session = session
    return None


@bp.get("/signin")
def signin_page() -> ResponseReturnValue:
    if current_session() is not None:
        return redirect("/", 303)
    return _signin_form()


@bp.post("/signin")
def signin() -> ResponseReturnValue:
    throttle: Throttle = current_app.config["THROTTLE"]
    address = request.remote_addr or "unknown"
    wait = throttle.wait_for(address)
    if wait > 0:
        log.warning("refused sign-in from %s: too many wrong passwords, %.0f s to wait", address, wait)
        return _signin_form(f"Too many wrong passwords from this address. Wait {wait:.0f} seconds, then try again.",
                            429, {"Retry-After": str(int(wait) + 1)})
    stored = saved_hash(current_app.config["STATE_DIR"])
    if stored is None or not verify_password(request.form.get("password", ""), stored):
        failures = throttle.failed(address)
        log.warning("wrong control panel password from %s (%d in a row)%s", address, failures,
                    "; further tries from it are slowed down" if failures >= FREE_TRIES else "")
        why = ("No admin password is set for this panel: sign in with the link ./install panel-link prints."
               if stored is None else "Wrong password.")
        return _signin_form(why, 401)
    throttle.succeeded(address)
    log.info("signed in with the password from %s", address)
    return _signed_in(redirect("/", 303))


@bp.get("/link")
def link() -> ResponseReturnValue:
    """Spend a one-time link. The page is served in this same response (no redirect), so a link
    opened from another program still lands with its SameSite=Strict cookie; the page then drops
    the token from its address bar."""
    if not redeem_link_token(current_app.config["STATE_DIR"], request.args.get("token", "")):
        log.warning("refused sign-in link from %s: wrong, used or expired", request.remote_addr)
        return _signin_form("That sign-in link is wrong, already used or expired. Run ./install panel-link "
                            "again for a new one.", 401)
    log.info("signed in with a one-time link from %s", request.remote_addr)
    session = _sessions().open()
    g.session = session
    return _signed_in(current_app.make_response(app_page(session)), session)


@bp.post("/signout")
def signout() -> ResponseReturnValue:
    _sessions().close(g.session.id)
    log.info("signed out from %s", request.remote_addr)
    response = redirect("/signin", 303)
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="Strict")
    return response


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    return "", 204


def app_page(session: Session) -> str:
    """The panel's single page for `session`: its CSRF token, and the application's name, version
    and logo from the manifest the install kept (drawn at once, as the wizard's header is)."""
    manifest = current_app.config["SITE"].manifest()
    return render_template("panel/index.html", csrf=session.csrf, app_name=manifest.name if manifest else "",
                           app_version=manifest.version if manifest else "", logo=manifest.logo if manifest else None)


def _signed_in(response: Response, session: Session | None = None) -> Response:
    session = session or _sessions().open()
    response.set_cookie(COOKIE, session.id, httponly=True, secure=True, samesite="Strict", path="/")
    return response


def _signin_form(problem: str | None = None, status: int = 200,
                 headers: dict[str, str] | None = None) -> ResponseReturnValue:
    site = current_app.config["SITE"]
    manifest = site.manifest()
    page = render_template("panel/signin.html", problem=problem, state_dir=str(site.state_dir),
                           app_name=manifest.name if manifest else "", logo=manifest.logo if manifest else None)
    return page, status, headers or {}
