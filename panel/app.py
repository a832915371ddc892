"""The control panel's Flask application factory: the wizard's stack and rules (Flask-SocketIO with
the threading driver, CSP 'self' only, every asset vendored and served from this host)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, g
from flask.typing import ResponseReturnValue
from flask_socketio import SocketIO

from panel import access, api, live
from panel.sessions import Sessions
from panel.site import Site
from panel.throttle import Throttle

# templates/ and static/ sit beside the panel package, from source and in the frozen installer.
ROOT = Path(__file__).resolve().parent.parent

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")

pages = Blueprint("pages", __name__)


@pages.get("/")
def index() -> ResponseReturnValue:
    return access.app_page(g.session)


def create_app(site: Site, config: dict[str, Any] | None = None) -> Flask:
    """The panel for the installed `site` (its Socket.IO server is app.extensions["socketio"]);
    config may hold SESSIONS and THROTTLE (fresh ones otherwise; tests give theirs, with a clock
    they move)."""
    app = Flask("panel", root_path=str(ROOT), template_folder="templates", static_folder="static")
    app.config.update(SESSIONS=None, THROTTLE=None, JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=64 * 1024)
    app.config.update(config or {})
    app.config.update(SITE=site, STATE_DIR=site.state_dir)
    app.config["SESSIONS"] = app.config["SESSIONS"] or Sessions()
    app.config["THROTTLE"] = app.config["THROTTLE"] or Throttle()
    app.register_blueprint(access.bp)
    app.register_blueprint(pages)
    app.register_blueprint(api.bp)
    socketio = SocketIO(app, async_mode="threading", logger=False, engineio_logger=False)
    live.attach(socketio, site)
    app.after_request(_headers)
    return app


def _headers(response: Response) -> Response:
    """Keep the page's requests on this host, HTTPS only, and links' tokens out of any Referer sent
    elsewhere. (Not "no-referrer": with it, Chromium sends `Origin: null` on the page's own form
    POSTs, which the Origin check must then refuse.)"""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Strict-Transport-Security"] = "max-age=31536000"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Cache-Control", "no-store")
    return response
