"""The wizard's Flask application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response
from flask_socketio import SocketIO

from installer.engine_api import EngineAPI
from wizard import api, pages, relay
from wizard.access import Gate

# templates/ and static/ sit beside the wizard package, from source and in the frozen installer.
ROOT = Path(__file__).resolve().parent.parent

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")


def create_app(engine: EngineAPI, config: dict[str, Any] | None = None) -> Flask:
    """Build the wizard around `engine` (installer.engine.Engine, or a stand-in in tests).

    config may hold GATE (an access.Gate; a fresh one otherwise) and STATE_DIR (shown on the
    page that tells a visitor without a session how to get in).
    """
    app = Flask("wizard", root_path=str(ROOT), template_folder="templates", static_folder="static")
    app.config.update(GATE=None, STATE_DIR=None, JSON_SORT_KEYS=False)
    app.config.update(config or {})
    if app.config["GATE"] is None:
        app.config["GATE"] = Gate()
    app.extensions["airlift.engine"] = engine
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    socketio = SocketIO(app, async_mode="threading", logger=False, engineio_logger=False)
    relay.attach(socketio, engine, app.config["GATE"])
    app.after_request(_headers)
    return app


def _headers(response: Response) -> Response:
    """Keep the page's requests on this host and the access token out of any Referer."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Cache-Control", "no-store")
    return response
