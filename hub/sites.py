"""Sites phoning home, apart from HTTP: enrollment with an enroll token, signed check-ins and
report files (one envelope, installer/hub_link/envelope.py), disconnection, and which release a
site should move to.

A document is taken only when it is signed by the site's enrolled key and its sequence number is
above the last one taken: a replay is refused, and the very same document again (a report file
uploaded twice) is recognised by its digest and changes nothing. The site's clock is recorded,
never trusted: every time the hub keeps is its own receive time.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from hub.models import Application, Channel, CheckIn, Promotion, Release, Site, SiteEvent, aware, utcnow
from hub.site_state import refresh
from hub.tokens import TokenRefused, take_enroll_token
from installer.hub_link.envelope import Opened
from installer.upgrade.version_order import compare_versions

_by_version = cmp_to_key(compare_versions)
DEFAULT_CHANNEL = "stable"
SKEW_NOTED_S = 300  # a site clock off by more is an event on its page (and nothing else)
INTERVAL_RANGE = (5, 86400)


class SiteError(Exception):
    """A document the hub refuses; `status` is the HTTP status, `extra` goes into the JSON answer."""

    def __init__(self, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.extra = status, extra


@dataclass(frozen=True)
class Taken:
    site: Site
    new: bool  # False: the same document was taken before, nothing changed
    answer: dict[str, Any]  # answer(): read in the transaction that took the document


def enroll(db: Session, opened: Opened, token: str, now: datetime.datetime | None = None) -> Site:
    """Register the site that signed `opened` (kind "enroll"), using one enrollment of `token`."""
    now = now or utcnow()
    if opened.kind != "enroll":
        raise SiteError(f"enrollment takes an enroll document, not {opened.kind!r}")
    try:
        grant = take_enroll_token(db, token)
    except TokenRefused as e:
        db.rollback()
        raise SiteError(str(e), 401) from None
    site = db.get(Site, opened.site)
    if site is not None and site.disconnected_at is not None:
        db.rollback()
        raise SiteError(f"site {site.id} was disconnected; a site connects again with a new key "
                        "(./install hub disconnect, then ./install hub connect)", 409)
    if site is None:
        site = _new_site(db, opened, grant.channel or DEFAULT_CHANNEL, "online", now)
        _event(db, site, now, "enrolled", f"enrolled with token {grant.id} on channel {site.channel}")
    else:  # known from its report files, now online
        site.mode = "online"
        _event(db, site, now, "enrolled", f"connected online with token {grant.id}")
    site.last_seq = max(site.last_seq, opened.seq)
    refresh(db, site, now)
    _commit(db)
    return site


def check_in(db: Session, site_id: str, opened: Opened, now: datetime.datetime | None = None) -> Taken:
    """Take a check-in sent to the site's URL `site_id`."""
    if opened.kind != "check-in" or opened.site != site_id:
        raise SiteError(f"this route takes check-ins of {site_id}, not a {opened.kind} of {opened.site}")
    return _take(db, site_of(db, opened), opened, "online", now or utcnow())


def upload_report(db: Session, opened: Opened, token: str | None, vendor: str | None,
                  now: datetime.datetime | None = None) -> Taken:
    """Take an offline site's report file. A site the hub does not know yet is registered from it
    when a signed-in vendor (`vendor`) uploads it, or with an enroll token: the file carries the
    site's public key, so keys only ever travel from the site to the hub."""
    now = now or utcnow()
    if opened.kind != "report":
        raise SiteError(f"this is a {opened.kind} document, not a report file (./install report --for-hub)")
    site = db.get(Site, opened.site)
    if site is None:
        channel = DEFAULT_CHANNEL
        if vendor is None:
            try:
                channel = take_enroll_token(db, token or "").channel or DEFAULT_CHANNEL
            except TokenRefused as e:
                db.rollback()
                raise SiteError(f"site {opened.site} is new to this hub and {e}", 401) from None
        site = _new_site(db, opened, channel, "file", now)
        _event(db, site, now, "enrolled", f"registered from its report file by {vendor or 'an enroll token'}")
    return _take(db, site_of(db, opened), opened, "file", now)


def disconnect(db: Session, site_id: str, opened: Opened, now: datetime.datetime | None = None) -> Site:
    """End the site's link: its later documents are refused."""
    now = now or utcnow()
    if opened.kind != "disconnect" or opened.site != site_id:
        raise SiteError(f"this route takes the disconnection of {site_id}")
    site = site_of(db, opened)
    _check_seq(db, site, opened)
    site.last_seq, site.disconnected_at = opened.seq, now
    _event(db, site, now, "disconnected", "disconnected by the site (./install hub disconnect)")
    refresh(db, site, now)
    _commit(db)
    return site


# Built once: every check-in asks it. The columns an answer needs, not each release's index.
_ON_CHANNEL = (select(Release.version, Release.required, Release.index_sha256)
               .join(Application).join(Promotion).join(Channel)
               .where(Application.name == bindparam("application"), Channel.name == bindparam("channel")))


def update_for(db: Session, site: Site) -> dict[str, Any] | None:
    """The newest release of the site's application on its channel, if newer than what it runs:
    {version, required, via, channel, index_sha256}. `required` says a release marked required
    lies on the way (it may not be skipped); `via` names the oldest such one when it is not the newest."""
    if not site.application:
        return None
    releases = db.execute(_ON_CHANNEL, {"application": site.application, "channel": site.channel}).all()
    newer = [r for r in releases if site.version is None or compare_versions(r.version, site.version) > 0]
    if not newer:
        return None
    newer.sort(key=lambda r: _by_version(r.version))
    newest, required = newer[-1], [r for r in newer if r.required]
    via = required[0].version if required and required[0] is not newest else None
    return {"version": newest.version, "required": bool(required), "via": via, "channel": site.channel,
            "index_sha256": newest.index_sha256}


def carry_back(db: Session, site: Site) -> dict[str, Any] | None:
    """What an offline site should have carried in: the update, as a full bundle, or a
    differential one against the release it runs when the hub has that release."""
    update = update_for(db, site)
    if update is None:
        return None
    base = None
    if site.application and site.version:
        base = db.scalar(select(Release.version).join(Application)
                         .where(Application.name == site.application, Release.version == site.version))
    return {**update, "application": site.application, "differential_from": base}


def answer(db: Session, site: Site) -> dict[str, Any]:
    """What a check-in is answered with."""
    return {"site_id": site.id, "state": site.state, "channel": site.channel, "seq": site.last_seq,
            "interval_s": site.interval_s, "update": update_for(db, site)}


# --- taking a document ----------------------------------------------------------------------------

def _take(db: Session, site: Site, opened: Opened, source: str, now: datetime.datetime) -> Taken:
    if opened.seq <= site.last_seq:  # no document above last_seq was taken: only then look for the same one
        same = db.scalar(select(CheckIn).where(CheckIn.site_id == site.id, CheckIn.seq == opened.seq))
        if same is not None and same.digest == opened.digest:
            return Taken(site, False, answer(db, site))
    _check_seq(db, site, opened)
    _apply(db, site, opened, source, now)
    db.add(CheckIn(site_id=site.id, seq=opened.seq, kind=opened.kind, source=source, digest=opened.digest,
                   received_at=now, site_clock=opened.sent_at()))
    said = answer(db, site)  # before the commit: one transaction, not a second one to read it
    try:
        db.commit()
    except IntegrityError:  # the same sequence number taken by another request meanwhile
        db.rollback()
        raise SiteError(f"sequence {opened.seq} of {site.id} was taken already: a replay", 409,
                        last_seq=opened.seq) from None
    return Taken(site, True, said)


def _apply(db: Session, site: Site, opened: Opened, source: str, now: datetime.datetime) -> None:
    payload = opened.payload
    site.last_seq, site.last_seen, site.mode = opened.seq, now, source
    site.interval_s = _interval(payload.get("interval_s"), site.interval_s)
    _clock(db, site, opened, now)
    release, status = payload.get("release"), payload.get("status")
    if isinstance(release, dict):
        version = str(release.get("version"))
        if site.version is not None and version != site.version:
            _event(db, site, now, "version", f"version {site.version} -> {version}")
        site.application, site.version = str(release.get("name")), version
        site.index_sha256 = str(release.get("index_sha256"))
    if isinstance(status, dict):
        condition = status.get("condition")
        if condition != site.condition and site.condition is not None:
            reasons = "; ".join(str(r) for r in status.get("reasons") or [])
            _event(db, site, now, "health", f"health {site.condition} -> {condition}" + (f": {reasons}" if reasons else ""))
        site.condition = str(condition) if condition is not None else None
        site.status_json = json.dumps(status)
    _alerts(db, site, payload.get("alerts"), now)
    if isinstance(payload.get("inventory"), list):
        site.inventory_json = json.dumps(payload["inventory"])
    for event in payload.get("events") or [] if source == "file" else []:
        if isinstance(event, dict):
            _event(db, site, _when(event.get("at"), now), str(event.get("kind", "site"))[:30],
                   str(event.get("message", "")), source="site")
    refresh(db, site, now)


def _clock(db: Session, site: Site, opened: Opened, now: datetime.datetime) -> None:
    """Record how far the site's clock is off; a big skew is an event, never a refusal."""
    sent = opened.sent_at()
    site.site_clock = sent
    skew = round((sent - now).total_seconds()) if sent is not None else None
    was = site.clock_skew_s
    site.clock_skew_s = skew
    if skew is None or opened.kind == "report":  # a report file is carried for days: its clock is old
        return
    if abs(skew) > SKEW_NOTED_S and (was is None or abs(skew - was) > SKEW_NOTED_S):
        _event(db, site, now, "clock", f"the site's clock is {_duration(skew)} {'ahead' if skew > 0 else 'behind'}")
    elif abs(skew) <= SKEW_NOTED_S and was is not None and abs(was) > SKEW_NOTED_S:
        _event(db, site, now, "clock", "the site's clock is right again")


def _alerts(db: Session, site: Site, alerts: Any, now: datetime.datetime) -> None:
    if not isinstance(alerts, list):
        return
    before = json.loads(site.alerts_json) if site.alerts_json else []
    if alerts != before:
        names = ", ".join(_alert_name(a) for a in alerts) or "none"
        _event(db, site, now, "alerts", f"alerts firing: {names}")
    site.alerts_json = json.dumps(alerts)


def _alert_name(alert: Any) -> str:
    if isinstance(alert, dict):
        return str(alert.get("name") or alert.get("alertname") or alert.get("summary") or json.dumps(alert))
    return str(alert)


def site_of(db: Session, opened: Opened) -> Site:
    """The enrolled, connected site that signed `opened`; SiteError (404, 401, 410) otherwise.
    Its last status document and inventory (tens of KB, replaced by the document taken) are
    loaded only if read."""
    site = db.get(Site, opened.site, options=[defer(Site.status_json), defer(Site.inventory_json)])
    if site is None:
        raise SiteError(f"site {opened.site} is not enrolled on this hub", 404,
                        hint="./install hub connect URL --token T on the site")
    if site.public_key != opened.key.public_key:
        raise SiteError(f"the document is not signed by the key {site.id} enrolled with", 401)
    if site.disconnected_at is not None:
        raise SiteError(f"site {site.id} was disconnected on {aware(site.disconnected_at):%Y-%m-%d %H:%M} UTC; "
                        "its documents are refused (connect it again: a new key, a new site)", 410)
    return site


def take_seq(db: Session, site: Site, opened: Opened) -> None:
    """Refuse a replay, then move the site's last sequence number to the document's."""
    _check_seq(db, site, opened)
    site.last_seq = opened.seq


def _check_seq(db: Session, site: Site, opened: Opened) -> None:
    if opened.seq <= site.last_seq:
        raise SiteError(f"sequence {opened.seq} of {site.id} is not above the last one taken ({site.last_seq}): "
                        "a replay, or a document older than one already taken", 409, last_seq=site.last_seq)


def _new_site(db: Session, opened: Opened, channel: str, mode: str, now: datetime.datetime) -> Site:
    payload = opened.payload
    given = payload.get("release")
    release: dict[str, Any] = given if isinstance(given, dict) else {}
    site = Site(id=opened.site, public_key=opened.key.public_key, hostname=str(payload.get("hostname") or "")[:255],
                application=payload.get("application") or release.get("name"), channel=channel,
                version=release.get("version"), index_sha256=release.get("index_sha256"), state="registered",
                mode=mode, interval_s=_interval(payload.get("interval_s"), 300), last_seq=0, enrolled_at=now)
    db.add(site)
    return site


def _event(db: Session, site: Site, at: datetime.datetime, kind: str, message: str, source: str = "hub") -> None:
    db.add(SiteEvent(site_id=site.id, at=at, kind=kind, source=source, message=message))


def _commit(db: Session) -> None:
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise SiteError("the site was changed by another request meanwhile; send it again", 409) from None


def _interval(value: Any, default: int) -> int:
    low, high = INTERVAL_RANGE
    return min(max(value, low), high) if isinstance(value, int) and not isinstance(value, bool) else default


def _when(text: Any, default: datetime.datetime) -> datetime.datetime:
    try:
        return aware(datetime.datetime.fromisoformat(str(text)))
    except ValueError:
        return default


def _duration(seconds: int) -> str:
    seconds = abs(seconds)
    if seconds >= 5400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds // 60} min"
