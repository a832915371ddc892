"""Sites phoning home, apart from HTTP: enrollment with an enroll token, disconnection, which
release a site should move to, and the checks every signed document (installer/hub_link/envelope.py)
of a site passes; check-ins and report files are taken in hub/check_ins.py.

A document is taken only when it is signed by the site's enrolled key and its sequence number is
above the last one taken: a replay is refused, and the very same document again (a report file
uploaded twice) is recognised by its digest and changes nothing. The site's clock is recorded,
never trusted: every time the hub keeps is its own receive time.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Connection, FunctionElement, String, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, defer
from sqlalchemy.sql.visitors import InternalTraversal

from hub.models import Application, Base, Release, Site, SiteEvent, aware, utcnow
from hub.site_state import refresh
from hub.tokens import TokenRefused, take_enroll_token
from installer.hub_link.envelope import Opened
from installer.upgrade.version_order import compare_versions

_by_version = cmp_to_key(compare_versions)
DEFAULT_CHANNEL = "stable"
INTERVAL_RANGE = (5, 86400)


class SiteError(Exception):
    """A document the hub refuses; `status` is the HTTP status, `extra` goes into the JSON answer."""

    def __init__(self, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.extra = status, extra


class Signer(Protocol):
    """What the checks of a document read of its site: a Site, or the row a check-in reads
    (hub/check_ins.py)."""

    @property
    def id(self) -> str: ...
    @property
    def public_key(self) -> bytes: ...
    @property
    def disconnected_at(self) -> datetime.datetime | None: ...
    @property
    def last_seq(self) -> int: ...


class Answered(Signer, Protocol):
    """What an answer to a site reads of it."""

    @property
    def state(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def interval_s(self) -> int: ...
    @property
    def application(self) -> str | None: ...
    @property
    def version(self) -> str | None: ...
    @property
    def inventory_sha256(self) -> str | None: ...


@dataclass(frozen=True)
class Taken:
    site: Answered
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
        channel = grant.channel or DEFAULT_CHANNEL
        site = register(db, opened, channel, "online", now, f"enrolled with token {grant.id} on channel {channel}")
    else:  # known from its report files, now online
        site.mode = "online"
        _event(db, site, now, "enrolled", f"connected online with token {grant.id}")
    site.last_seq = max(site.last_seq, opened.seq)
    refresh(db, site, now)
    _commit(db)
    return site


def disconnect(db: Session, site_id: str, opened: Opened, now: datetime.datetime | None = None) -> Site:
    """End the site's link: its later documents are refused."""
    now = now or utcnow()
    if opened.kind != "disconnect" or opened.site != site_id:
        raise SiteError(f"this route takes the disconnection of {site_id}")
    site = site_of(db, opened)
    check_seq(site, opened)
    site.last_seq, site.disconnected_at = opened.seq, now
    _event(db, site, now, "disconnected", "disconnected by the site (./install hub disconnect)")
    refresh(db, site, now)
    _commit(db)
    return site


# Built once, of the tables (Core, no ORM entities): every check-in asks it. The columns an answer
# needs, not each release's index.
_RELEASES, _APPS, _PROMOTIONS, _CHANNELS, _SITES = (Base.metadata.tables[name] for name in
                                                    ("releases", "applications", "promotions", "channels", "sites"))
_RELEASE_COLUMNS = (_RELEASES.c.version, _RELEASES.c.required, _RELEASES.c.index_sha256)
_ON_A_CHANNEL = _RELEASES.join(_APPS).join(_PROMOTIONS).join(_CHANNELS)
_ON_CHANNEL = (select(*_RELEASE_COLUMNS).select_from(_ON_A_CHANNEL)
               .where(_APPS.c.name == bindparam("application"), _CHANNELS.c.name == bindparam("channel")))


class json_rows(FunctionElement[str]):
    """The rows of its columns as the text of one JSON array of arrays: how a statement about a
    site returns the releases on its channel in the same round trip (ON_ITS_CHANNEL)."""

    type = String()
    inherit_cache = True
    name = "json_rows"


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"CAST(json_agg(json_build_array({compiler.process(element.clauses, **kw)})) AS TEXT)"


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


class whole_names(ColumnElement[str]):
    """A subquery compiled with its columns' table names even inside SQLite's RETURNING, which
    leaves them out (making the "id" of a join ambiguous)."""

    inherit_cache = True
    _traverse_internals = [("inner", InternalTraversal.dp_clauseelement)]

    def __init__(self, inner: ColumnElement[str]) -> None:
        self.inner, self.type = inner, inner.type


@compiles(whole_names)
def _whole_names(element: whole_names, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.inner, **(kw | {"include_table": True})))


# The releases on the channel of the sites row a statement is about, for its RETURNING clause:
# read with releases_of().
ON_ITS_CHANNEL = whole_names(select(json_rows(*_RELEASE_COLUMNS)).select_from(_ON_A_CHANNEL)
                             .where(_APPS.c.name == _SITES.c.application, _CHANNELS.c.name == _SITES.c.channel)
                             .correlate(_SITES).scalar_subquery()).label("on_channel")


@dataclass(frozen=True)
class OnChannel:
    """A release on a site's channel, as an answer reads it."""

    version: str
    required: bool
    index_sha256: str


def releases_of(on_channel: str | None) -> list[OnChannel]:
    """ON_ITS_CHANNEL's value (None: PostgreSQL's aggregate of no rows)."""
    return [OnChannel(str(v), bool(r), str(d)) for v, r, d in json.loads(on_channel or "[]")]


def update_for(db: Session | Connection, site: Answered) -> dict[str, Any] | None:
    """The newest release of the site's application on its channel, if newer than what it runs
    (newest_of)."""
    if not site.application:
        return None
    found = db.execute(_ON_CHANNEL, {"application": site.application, "channel": site.channel})
    return newest_of(site, [OnChannel(*row) for row in found])


def newest_of(site: Answered, releases: Sequence[OnChannel]) -> dict[str, Any] | None:
    """Of `releases` (those on the site's channel), the newest, if newer than what the site runs:
    {version, required, via, channel, index_sha256}. `required` says a release marked required
    lies on the way (it may not be skipped); `via` names the oldest such one when it is not the newest."""
    if not site.application:
        return None
    newer = [r for r in releases if site.version is None or compare_versions(r.version, site.version) > 0]
    if not newer:
        return None
    newer.sort(key=lambda r: _by_version(r.version))
    newest, required = newer[-1], [r for r in newer if r.required]
    via = required[0].version if required and required[0] is not newest else None
    return {"version": newest.version, "required": bool(required), "via": via, "channel": site.channel,
            "index_sha256": newest.index_sha256}


def carry_back(db: Session, site: Answered) -> dict[str, Any] | None:
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


def answer(db: Session | Connection, site: Answered) -> dict[str, Any]:
    """What a check-in is answered with."""
    return reply(site, update_for(db, site))


def reply(site: Answered, update: dict[str, Any] | None) -> dict[str, Any]:
    """A check-in's answer, naming `update` (update_for, newest_of)."""
    return {"site_id": site.id, "state": site.state, "channel": site.channel, "seq": site.last_seq,
            "interval_s": site.interval_s, "inventory_sha256": site.inventory_sha256, "update": update}


def site_of(db: Session, opened: Opened) -> Site:
    """The enrolled, connected site that signed `opened`; SiteError (404, 401, 410) otherwise.
    Its last status document and inventory (tens of KB, replaced by the document taken) are
    loaded only if read."""
    site = db.get(Site, opened.site, options=[defer(Site.status_json), defer(Site.inventory_json)])
    admit(site, opened)
    assert site is not None  # admit refuses a site not enrolled
    return site


def admit(site: Signer | None, opened: Opened) -> None:
    """Refuse `opened` unless `site` (None: not enrolled) is connected and enrolled with the key that
    signed it: SiteError 404, 401 or 410."""
    if site is None:
        raise SiteError(f"site {opened.site} is not enrolled on this hub", 404,
                        hint="./install hub connect URL --token T on the site")
    if site.public_key != opened.key.public_key:
        raise SiteError(f"the document is not signed by the key {site.id} enrolled with", 401)
    if site.disconnected_at is not None:
        raise SiteError(f"site {site.id} was disconnected on {aware(site.disconnected_at):%Y-%m-%d %H:%M} UTC; "
                        "its documents are refused (connect it again: a new key, a new site)", 410)


def take_seq(db: Session, site: Site, opened: Opened) -> None:
    """Refuse a replay, then move the site's last sequence number to the document's."""
    check_seq(site, opened)
    site.last_seq = opened.seq


def check_seq(site: Signer, opened: Opened) -> None:
    """Refuse a document whose sequence number is not above the last one taken of `site`: SiteError 409."""
    if opened.seq <= site.last_seq:
        raise SiteError(f"sequence {opened.seq} of {site.id} is not above the last one taken ({site.last_seq}): "
                        "a replay, or a document older than one already taken", 409, last_seq=site.last_seq)


def register(db: Session, opened: Opened, channel: str, mode: str, now: datetime.datetime, how: str) -> Site:
    """A new site for the key that signed `opened` (added, not committed), its first event saying `how`."""
    payload = opened.payload
    given = payload.get("release")
    release: dict[str, Any] = given if isinstance(given, dict) else {}
    site = Site(id=opened.site, public_key=opened.key.public_key, hostname=str(payload.get("hostname") or "")[:255],
                application=payload.get("application") or release.get("name"), channel=channel,
                version=release.get("version"), index_sha256=release.get("index_sha256"), state="registered",
                mode=mode, interval_s=stated_interval(payload.get("interval_s")) or 300, last_seq=0, enrolled_at=now)
    db.add(site)
    _event(db, site, now, "enrolled", how)
    return site


def _event(db: Session, site: Site, at: datetime.datetime, kind: str, message: str, source: str = "hub") -> None:
    db.add(SiteEvent(site_id=site.id, at=at, kind=kind, source=source, message=message))


def _commit(db: Session) -> None:
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise SiteError("the site was changed by another request meanwhile; send it again", 409) from None


def stated_interval(value: Any) -> int | None:
    """A site's check-in interval as it states it, kept within INTERVAL_RANGE; None when it states none."""
    low, high = INTERVAL_RANGE
    return min(max(value, low), high) if isinstance(value, int) and not isinstance(value, bool) else None
