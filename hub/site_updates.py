"""What a linked site downloads to move on: the release it must install next (the newest on its
channel, or the oldest required one on the way, which may not be skipped) as a full bundle or as
a differential one against the release it runs, found by the sha256 of its installed index.

A site asks with signed `download` documents (installer/hub_link/envelope.py), as it checks in:
one for the plan (`POST /api/v1/sites/<id>/downloads`), one per request of the bundle's bytes, so
a resumed download is signed anew and no token is ever handed out. Each takes a sequence number
above the site's last one, as any site document does: a replayed request is refused.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub import differentials
from hub.catalog import CatalogError, find_release, get_release
from hub.models import Application, Channel, Differential, Promotion, Release, Site
from hub.sites import SiteError, site_of, update_for
from hub.tarstream import tar_size
from installer.bundle.index import Index
from installer.hub_link.envelope import Opened

SITE_API = "/sites"  # the paths a plan names are under /api/v1, as the site's HubClient sends them


def take_download(db: Session, site_id: str, opened: Opened) -> Site:
    """The site that signed the `download` document `opened`, once its sequence number is taken
    (a conditional UPDATE: two hub processes never both take one number)."""
    if opened.kind != "download" or opened.site != site_id:
        raise SiteError(f"this route takes download requests of {site_id}, not a {opened.kind} of {opened.site}")
    site = site_of(db, opened)
    taken = db.execute(update(Site).where(Site.id == site.id, Site.last_seq < opened.seq)
                       .values(last_seq=opened.seq).execution_options(synchronize_session=False))
    if taken.rowcount == 0:  # type: ignore[attr-defined]
        db.rollback()
        last = db.scalar(select(Site.last_seq).where(Site.id == site.id))
        raise SiteError(f"sequence {opened.seq} of {site.id} is not above the last one taken ({last}): a replay",
                        409, last_seq=last)
    db.commit()
    db.refresh(site)
    return site


def plan(db: Session, site: Site, installed_index_sha256: str | None) -> dict[str, Any]:
    """{update, next: {version, newest, required, reason, full, differential}} or {update: None}.
    `differential` is None when the hub holds no release the site runs (by its index sha256)."""
    found = update_for(db, site)
    if found is None or not site.application:
        return {"update": None, "next": None}
    target = get_release(db, site.application, found["via"] or found["version"])
    reason = None
    if found["via"]:
        reason = (f"{target.version} is marked required: it may not be skipped, so it comes before "
                  f"{found['version']}")
    elif target.required:
        reason = f"{target.version} is marked required"
    base = installed_release(db, site.application, installed_index_sha256)
    diff = None
    if base is not None and base.id != target.id and base in differentials.earlier_releases(db, target):
        made = differentials.differential(db, target, base.version)
        diff = {"base": base.version, "size": made.size, "signed": made.signature_json is not None,
                "index_sha256": made.index_sha256,
                "path": f"{SITE_API}/{site.id}/bundles/{target.version}/differentials/{base.version}/bundle.tar"}
    full = {"size": tar_size(Index.from_json(target.index_json), target.index_json, target.signature_json),
            "signed": target.signature_json is not None, "index_sha256": target.index_sha256,
            "path": f"{SITE_API}/{site.id}/bundles/{target.version}/bundle.tar"}
    return {"update": found, "next": {"application": site.application, "version": target.version,
                                      "newest": found["version"], "required": target.required or bool(found["via"]),
                                      "reason": reason, "full": full, "differential": diff}}


def installed_release(db: Session, application: str, index_sha256: str | None) -> Release | None:
    """The release a site runs, by the sha256 of its installed index: a release's own, or that
    of a differential bundle of it (a site upgraded with one keeps the differential index)."""
    if not index_sha256:
        return None
    app = select(Application.id).where(Application.name == application)
    found = db.scalar(select(Release).where(Release.application_id.in_(app), Release.index_sha256 == index_sha256))
    if found is not None:
        return found
    diff = db.scalar(select(Differential).join(Release, Differential.release_id == Release.id)
                     .where(Release.application_id.in_(app), Differential.index_sha256 == index_sha256))
    return diff.release if diff is not None else None


def allowed_release(db: Session, site: Site, opened: Opened, version: str, base: str | None) -> Release:
    """The release a signed request may fetch: the one it names (and the base it names), of the
    site's application, on the site's channel."""
    if opened.payload.get("version") != version or opened.payload.get("base") != base:
        raise SiteError("the signed request names another bundle than the address it was sent to", 401)
    release = find_release(db, site.application or "", version)
    on_channel = release is not None and db.scalar(
        select(Promotion.id).join(Channel).where(Promotion.release_id == release.id, Channel.name == site.channel))
    if release is None or not on_channel:
        raise CatalogError(f"no release {site.application} {version} on channel {site.channel} for {site.id}", 404)
    return release
