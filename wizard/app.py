"""The wizard's Flask application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask_socketio import SocketIO

from installer.engine_api import EngineAPI
from wizard import api, pages, relay
from wizard.access import Gate
from wizard.headers import add_security_headers

# templates/ and static/ sit beside the wizard package, from source and in the frozen installer.
ROOT = Path(__file__).resolve().parent.parent


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
    add_security_headers(app)
    return app

