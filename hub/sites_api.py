"""The sites' API under /api/v1: enrollment, check-ins, disconnection and report-file upload take
a signed envelope (installer/hub_link/envelope.py) as the request body; listing sites takes a
publish token. Routes and answers: docs/hub.md "Sites"."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select

from hub import check_ins, site_updates, sites, support
from hub.api import publisher
from hub.catalog import CatalogError
from hub.context import db
from hub.differentials import differential
from hub.downloads import bundle_response, differential_response
from hub.models import Site, aware, utcnow
from hub.s3 import StorageError
from hub.site_state import refresh, refresh_all
from installer.hub_link.envelope import (
    MAX_ENVELOPE,
    SIGNED_REQUEST,
    EnvelopeError,
    ForgedEnvelope,
    Opened,
    open_envelope,
    opened_header,
)

bp = Blueprint("sites_api", __name__, url_prefix="/api/v1")


@bp.errorhandler(sites.SiteError)
def _site_error(e: sites.SiteError) -> tuple[Response, int]:
    return jsonify(error=str(e), **e.extra), e.status


@bp.errorhandler(CatalogError)
def _catalog_error(e: CatalogError) -> tuple[Response, int]:
    return jsonify(error=str(e)), e.status


@bp.errorhandler(StorageError)
def _storage_error(e: StorageError) -> tuple[Response, int]:
    return jsonify(error=e.render()), 503


def _opened() -> Opened:
    if (request.content_length or 0) > MAX_ENVELOPE:
        raise sites.SiteError(f"a site document is at most {MAX_ENVELOPE} bytes", 413)
    try:
        return open_envelope(request.get_data(cache=False), "the request body")
    except EnvelopeError as e:
        raise sites.SiteError(e.message, 401 if isinstance(e, ForgedEnvelope) else 400) from None


def _bearer() -> str:
    return (request.headers.get("Authorization") or "").removeprefix("Bearer ").strip()


@bp.post("/sites")
def enroll() -> tuple[Response, int]:
    site = sites.enroll(db(), _opened(), _bearer())
    return jsonify(sites.answer(db(), site)), 201


@bp.post("/sites/<site_id>/check-ins")
def check_in(site_id: str) -> Response:
    taken = check_ins.check_in(db(), site_id, _opened())
    return jsonify(taken.answer | {"taken": taken.new})


@bp.post("/sites/<site_id>/disconnect")
def disconnect(site_id: str) -> Response:
    site = sites.disconnect(db(), site_id, _opened())
    support.close_for_disconnect(db(), site, utcnow())
    db().commit()
    return jsonify(site_id=site.id, state=site.state)


@bp.post("/sites/<site_id>/downloads")
def download_plan(site_id: str) -> Response:
    """What the site should download next, and as which bundle (hub/site_updates.py)."""
    opened = _opened()
    site = site_updates.take_download(db(), site_id, opened)
    release = opened.payload.get("release")
    installed = release.get("index_sha256") if isinstance(release, dict) else None
    return jsonify(site_updates.plan(db(), site, str(installed) if installed else None))


@bp.get("/sites/<site_id>/bundles/<version>/bundle.tar")
def site_bundle(site_id: str, version: str) -> Response:
    site, opened = _signed_request(site_id)
    return bundle_response(site_updates.allowed_release(db(), site, opened, version, None))


@bp.get("/sites/<site_id>/bundles/<version>/differentials/<base>/bundle.tar")
def site_differential(site_id: str, version: str, base: str) -> Response:
    site, opened = _signed_request(site_id)
    release = site_updates.allowed_release(db(), site, opened, version, base)
    return differential_response(differential(db(), release, base))


def _signed_request(site_id: str) -> tuple[Site, Opened]:
    """The site whose signed `download` document the Authorization header carries."""
    try:
        opened = opened_header(request.headers.get("Authorization") or "")
    except EnvelopeError as e:
        raise sites.SiteError(f"{e.message} (send Authorization: {SIGNED_REQUEST} <the signed document>)",
                              401) from None
    return site_updates.take_download(db(), site_id, opened), opened


@bp.post("/sites/<site_id>/support")
def support_open(site_id: str) -> tuple[Response, int]:
    """A site opens a support session; the answer tells it where to dial and what to forward."""
    ssh = current_app.config.get("SSH_ENDPOINT") or {}
    if not ssh:
        raise sites.SiteError("this hub does not take support sessions (it was started without --ssh-listen)", 503)
    session = support.open_session(db(), site_id, _opened())
    return jsonify(support.describe(session) | {"ssh": ssh}), 201


@bp.post("/sites/<site_id>/support/close")
def support_close(site_id: str) -> Response:
    return jsonify(closed=support.close_session(db(), site_id, _opened()))


@bp.post("/reports")
def upload_report() -> Response:
    taken = check_ins.upload_report(db(), _opened(), _bearer() or None, None)
    return jsonify(taken.answer | {"taken": taken.new, "carry_back": sites.carry_back(db(), taken.site)})


@bp.get("/sites")
@publisher
def list_sites() -> Response:
    return jsonify(sites=[site_summary(s) for s in refresh_all(db(), utcnow())])


@bp.get("/sites/<site_id>")
@publisher
def show_site(site_id: str) -> Response | tuple[Response, int]:
    site = db().scalar(select(Site).where(Site.id == site_id))
    if site is None:
        return jsonify(error=f"no site {site_id} on this hub"), 404
    refresh(db(), site, utcnow())
    db().commit()
    events = [{"at": aware(e.at).isoformat(), "kind": e.kind, "source": e.source, "message": e.message}
              for e in site.events[:200]]
    return jsonify(site_summary(site) | {"update": sites.update_for(db(), site),
                                         "status": json.loads(site.status_json) if site.status_json else None,
                                         "inventory": len(json.loads(site.inventory_json or "[]")),
                                         "events": events})


def site_summary(site: Site) -> dict[str, Any]:
    return {"site_id": site.id, "hostname": site.hostname, "application": site.application, "version": site.version,
            "channel": site.channel, "state": site.state, "mode": site.mode, "condition": site.condition,
            "last_seen": aware(site.last_seen).isoformat() if site.last_seen else None, "last_seq": site.last_seq,
            "clock_skew_s": site.clock_skew_s, "interval_s": site.interval_s}
