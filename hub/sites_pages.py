"""The sites in the browser: every site with its state and last contact, one site's page (state,
version, update, events, the bundle to carry back), and the upload of an offline site's report
file. Server-rendered; every POST carries the session's CSRF token (hub.websession)."""

from __future__ import annotations

import json

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from hub import check_ins, sites, support
from hub.context import db
from hub.models import Site, aware, utcnow
from hub.panel_open import panel_ports, site_page_csp
from hub.roles import SUPPORT, may
from hub.site_state import refresh, refresh_all
from hub.websession import current, signed_in
from installer.hub_link.envelope import MAX_ENVELOPE, EnvelopeError, open_envelope

bp = Blueprint("sites_pages", __name__)


@bp.get("/sites")
@signed_in
def sites_list() -> str:
    return render_template("sites.html", sites=refresh_all(db(), utcnow()), error=request.args.get("error"))


@bp.get("/sites/<site_id>")
@signed_in
def site(site_id: str) -> BaseResponse:
    found = db().scalar(select(Site).where(Site.id == site_id))
    if found is None:
        abort(404)
    refresh(db(), found, utcnow())
    db().commit()
    status = json.loads(found.status_json) if found.status_json else None
    alerts = json.loads(found.alerts_json) if found.alerts_json else []
    page = make_response(render_template(
        "site.html", site=found, status=status, alerts=alerts, aware=aware,
        support=support.open_for_site(db(), found.id), ports_of=support.ports_of, update=sites.update_for(db(), found),
        carry=sites.carry_back(db(), found), inventory=len(json.loads(found.inventory_json or "[]")),
        message=request.args.get("message"), error=request.args.get("error"), may_support=may(_role(), SUPPORT),
        panel_ports=panel_ports()))
    page.headers["Content-Security-Policy"] = site_page_csp()
    return page


def _role() -> str | None:
    session = current()
    return session.user.role if session else None


@bp.post("/sites/reports")
@signed_in
def upload() -> BaseResponse:
    """A report file (`./install report --for-hub`): a known site is updated, a new one registered."""
    file = request.files.get("report")
    data = file.read(MAX_ENVELOPE + 1) if file else b""
    session = current()
    assert session is not None
    try:
        taken = check_ins.upload_report(db(), open_envelope(data, "the uploaded file"), None, session.user.name)
    except (EnvelopeError, sites.SiteError) as e:
        text = e.message if isinstance(e, EnvelopeError) else str(e)
        return redirect(url_for("sites_pages.sites_list", error=text))
    said = "Report taken." if taken.new else "This report was uploaded before; nothing changed."
    return redirect(url_for("sites_pages.site", site_id=taken.site.id, message=said))
