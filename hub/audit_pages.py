"""The hub's audit page: every open, close, forward, connection and refusal of remote support
(who, when, what, bytes), newest first, for operators and admins; a viewer is refused with the
role it takes. `?site=ID` keeps one site's lines."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from hub.context import db
from hub.models import AuditEvent, aware
from hub.roles import AUDIT, may, needed
from hub.websession import current

bp = Blueprint("audit_pages", __name__)
SHOWN = 500


@bp.get("/audit")
def audit() -> BaseResponse | tuple[str, int] | str:
    session = current()
    if session is None:
        return redirect(url_for("pages.login"))
    user = session.user
    if not may(user.role, AUDIT):
        return render_template("error.html", message=f"Hub user {user.name} is a {user.role}: the audit page takes "
                               f"the role {needed(AUDIT)} (or admin). An admin raises it with: python -m hub user "
                               f"role {user.name} {needed(AUDIT)}"), 403
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(SHOWN)
    site = request.args.get("site") or None
    if site:
        query = query.where(AuditEvent.site_id == site)
    return render_template("audit.html", events=list(db().scalars(query)), site=site, shown=SHOWN, aware=aware)
