"""The hub's Flask application factory: the JSON API under /api/v1 and the catalog pages."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import Engine

from hub import api, audit_pages, install_pages, pages, panel_open, sites_api, sites_pages
from hub.blobstore import BlobStore, FolderBlobStore
from hub.context import Hub, HubTls, close_db
from hub.db import session_factory
from wizard.headers import add_security_headers

HERE = Path(__file__).resolve().parent


def create_app(engine: Engine, data_dir: Path, store: BlobStore | None = None, tls: HubTls | None = None,
               panel_ports: tuple[int, ...] = ()) -> Flask:
    """The hub over `engine` (already migrated) with its blobs in `store`, by default the folder
    `data_dir`; `tls` is the certificate it serves, which install links name; `panel_ports` the
    ports it serves sites' control panels on (hub/panel_gateway.py), none by default."""
    app = Flask("hub", root_path=str(HERE), template_folder="templates", static_folder="static")
    app.config.update(MAX_FORM_MEMORY_SIZE=1 << 20, PANEL_PORTS=tuple(panel_ports))
    app.extensions["hub"] = Hub(session_factory(engine), store or FolderBlobStore(Path(data_dir)), tls=tls)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(sites_api.bp)
    app.register_blueprint(sites_pages.bp)
    app.register_blueprint(install_pages.bp)
    app.register_blueprint(panel_open.bp)
    app.register_blueprint(audit_pages.bp)
    app.teardown_appcontext(close_db)
    add_security_headers(app)
    return app

