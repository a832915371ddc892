"""Taking a site's signed document, a check-in or a report file, in a few SQLAlchemy Core
statements rather than through the ORM: a check-in is the request every site sends every few
minutes, and its cost is what bounds how many sites one hub process serves (bench/hub_bench.py).
Each statement is built once here, so its SQL is compiled once and PostgreSQL prepares it on each
pooled connection.

A check-in is taken in as few round trips to the database as it can be:
  1. the site's row is read (the columns the check-in compares, not its last documents), outside
     any transaction;
  2. the document's changes are worked out in Python, the events among them, and the answer is
     read (the catalog's releases on the site's channel);
  3. the row is updated only if its sequence number and state are still the ones read: of two
     requests racing (the same document sent twice, or a page that noticed the site went stale),
     one wins, and the other reads the row again. A check-in that changes nothing worth an event
     (most of them) is that one UPDATE, committed on its own; one with events writes them in the
     same transaction as the row.
A check-in that brings no news (the site's state, health, version and alerts as the row holds
them, its clock about right: most check-ins of a fleet) is taken in ONE statement instead
(`_quiet`): an UPDATE whose WHERE says the row holds nothing the document would make an event of,
RETURNING what the answer needs, the releases on the site's channel among it. When no row matches,
the document goes the full way above, which alone makes events: the WHERE may send a check-in
there that would have made none, never the other way round (tests/unit/hub/test_quiet_check_ins.py
holds the two ways to that).
A report file is taken in one transaction with a row in check_ins (site, sequence number,
digest): a file uploaded again, even after later ones, is recognised and changes nothing. A
check-in keeps no row of its own: the site's last sequence number refuses replays, and its last
digest recognises the very same check-in sent twice, so the table does not grow with every
check-in of every site.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, Engine, Update, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.models import Base, Site, aware, utcnow
from hub.site_state import changed_at, derive_state
from hub.sites import (
    DEFAULT_CHANNEL,
    INTERVAL_RANGE,
    ON_ITS_CHANNEL,
    SiteError,
    Taken,
    admit,
    answer,
    check_seq,
    newest_of,
    register,
    releases_of,
    reply,
    stated_interval,
)
from hub.tokens import TokenRefused, take_enroll_token
from installer.hub_link.envelope import Opened, inventory_digest

SITES, CHECK_INS, EVENTS = (Base.metadata.tables[name] for name in ("sites", "check_ins", "site_events"))
SKEW_NOTED_S = 300  # a site clock off by more is an event on its page (and nothing else)
ATTEMPTS = 3  # reads of the row when another request changed it meanwhile


@dataclass(frozen=True)
class SiteRow:
    """The columns of a site a document is compared with (not its last status and inventory)."""

    id: str
    public_key: bytes
    disconnected_at: datetime.datetime | None
    last_seq: int
    last_seen: datetime.datetime | None
    state: str
    mode: str
    condition: str | None
    interval_s: int
    application: str | None
    version: str | None
    channel: str
    clock_skew_s: int | None
    alerts_json: str | None
    inventory_sha256: str | None
    last_digest: str | None


_READ = select(*(SITES.c[name] for name in SiteRow.__dataclass_fields__)).where(SITES.c.id == bindparam("b_id"))
_SAME = select(CHECK_INS.c.digest).where(CHECK_INS.c.site_id == bindparam("b_id"), CHECK_INS.c.seq == bindparam("b_seq"))
# The SET columns are the parameters given: those the document carries.
_WRITE = update(SITES).where(SITES.c.id == bindparam("b_id"), SITES.c.last_seq == bindparam("b_last_seq"),
                             SITES.c.state == bindparam("b_state"))
_CHECK_IN = insert(CHECK_INS)  # a report file's
_EVENT = insert(EVENTS)


def check_in(db: Session, site_id: str, opened: Opened, now: datetime.datetime | None = None) -> Taken:
    """Take a check-in sent to the site's URL `site_id`."""
    if opened.kind != "check-in" or opened.site != site_id:
        raise SiteError(f"this route takes check-ins of {site_id}, not a {opened.kind} of {opened.site}")
    return take(db, opened, "online", now or utcnow())


def upload_report(db: Session, opened: Opened, token: str | None, vendor: str | None,
                  now: datetime.datetime | None = None) -> Taken:
    """Take an offline site's report file. A site the hub does not know yet is registered from it
    when a signed-in vendor (`vendor`) uploads it, or with an enroll token: the file carries the
    site's public key, so keys only ever travel from the site to the hub."""
    now = now or utcnow()
    if opened.kind != "report":
        raise SiteError(f"this is a {opened.kind} document, not a report file (./install report --for-hub)")
    if db.get(Site, opened.site) is None:
        channel = DEFAULT_CHANNEL
        if vendor is None:
            try:
                channel = take_enroll_token(db, token or "").channel or DEFAULT_CHANNEL
            except TokenRefused as e:
                db.rollback()
                raise SiteError(f"site {opened.site} is new to this hub and {e}", 401) from None
        register(db, opened, channel, "file", now, f"registered from its report file by {vendor or 'an enroll token'}")
        db.flush()  # the row take() reads
    return take(db, opened, "file", now)


def take(db: Session, opened: Opened, source: str, now: datetime.datetime) -> Taken:
    """Take `opened` from its site (`source`: online, or file for a report), committed; the same
    document taken before changes nothing. SiteError for a site unknown, disconnected or signed
    by another key, and for a sequence number not above the last one taken (a replay)."""
    # A report may follow its site's registration in this session, not committed yet: it reads
    # through the session. A check-in reads outside any transaction.
    with _connection(db, source) as conn:
        if source == "online" and (quiet := _quiet(conn, opened, now)) is not None:
            return quiet
        site = _read(conn, opened)
        for _ in range(ATTEMPTS):
            if opened.seq <= site.last_seq:
                return _again(conn, site, opened)
            new, values, events = _changes(site, opened, source, now)
            said = answer(conn, new)  # before the write: a report's transaction ends with it
            written = {"b_id": site.id, "b_last_seq": site.last_seq, "b_state": site.state}
            if _write(db, conn, opened, source, now, values | written, events):
                return Taken(new, True, said)
            site = _read(conn, opened)
    raise SiteError(f"site {site.id} was changed by other requests meanwhile; send the document again", 409)


@contextmanager
def _connection(db: Session, source: str) -> Iterator[Connection]:
    if source == "file":
        yield db.connection()
        return
    bind = db.get_bind()
    assert isinstance(bind, Engine)  # the hub's sessions are bound to its engine (hub/db.py)
    with bind.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


def _write(db: Session, conn: Connection, opened: Opened, source: str, now: datetime.datetime,
           values: dict[str, Any], events: list[dict[str, Any]]) -> bool:
    """Update the site's row if it is still as read, with its events and a report file's
    check-in row in the same transaction; False if another request changed the row meanwhile."""
    if source == "online" and not events:
        return conn.execute(_WRITE, values).rowcount == 1  # one statement: committed on its own
    tx = db.connection()
    if tx.execute(_WRITE, values).rowcount != 1:
        return False  # nothing written; the transaction stays, with a report's new site in it
    if source == "file":
        tx.execute(_CHECK_IN, {"site_id": opened.site, "seq": opened.seq, "kind": opened.kind, "source": source,
                               "digest": opened.digest, "received_at": now, "site_clock": opened.sent_at()})
    if events:
        tx.execute(_EVENT, [{"site_id": opened.site, "source": "hub"} | e for e in events])
    try:
        db.commit()
    except IntegrityError:  # the same report file taken by another request meanwhile
        db.rollback()
        raise SiteError(f"sequence {opened.seq} of {opened.site} was taken already: a replay", 409,
                        last_seq=opened.seq) from None
    return True


def _read(conn: Connection, opened: Opened) -> SiteRow:
    row = conn.execute(_READ, {"b_id": opened.site}).first()
    site = SiteRow(**row._mapping) if row is not None else None
    admit(site, opened)
    assert site is not None  # admit refuses a site not enrolled
    return site


def _again(conn: Connection, site: SiteRow, opened: Opened) -> Taken:
    """A document at or below the last sequence number: the very same one again (the last
    check-in sent twice, a report file uploaded twice) is taken as it was; any other is a replay."""
    if (opened.seq == site.last_seq and opened.digest == site.last_digest) or \
            conn.execute(_SAME, {"b_id": site.id, "b_seq": opened.seq}).scalar() == opened.digest:
        return Taken(site, False, answer(conn, site))
    check_seq(site, opened)
    raise AssertionError("check_seq refuses a sequence number not above the last one")


def _written(opened: Opened, source: str, now: datetime.datetime) -> dict[str, Any]:
    """The columns `opened` sets from what it says alone (interval_s only when it states one)."""
    payload, sent = opened.payload, opened.sent_at()
    values: dict[str, Any] = {"last_seq": opened.seq, "last_digest": opened.digest, "last_seen": now, "mode": source,
                              "site_clock": sent, "clock_skew_s": round((sent - now).total_seconds()) if sent is not None else None}
    if (interval := stated_interval(payload.get("interval_s"))) is not None:
        values["interval_s"] = interval
    release, status, alerts = payload.get("release"), payload.get("status"), payload.get("alerts")
    if isinstance(release, dict):
        values |= {"application": str(release.get("name")), "version": str(release.get("version")),
                   "index_sha256": str(release.get("index_sha256"))}
    if isinstance(status, dict):
        condition = status.get("condition")
        values |= {"condition": str(condition) if condition is not None else None, "status_json": json.dumps(status)}
    if isinstance(alerts, list):
        values["alerts_json"] = json.dumps(alerts)
    if isinstance(payload.get("inventory"), list):  # else the site sent its digest alone: the one held, or a
        held = [str(d) for d in payload["inventory"]]  # digest the next answer's inventory_sha256 corrects
        values |= {"inventory_json": json.dumps(held), "inventory_sha256": inventory_digest(held)}
    return values


def _changes(site: SiteRow, opened: Opened, source: str, now: datetime.datetime
             ) -> tuple[SiteRow, dict[str, Any], list[dict[str, Any]]]:
    """The site once `opened` is taken, the columns to write, and the events (kind, message, at)."""
    payload, events = opened.payload, []
    values = {"interval_s": site.interval_s} | _written(opened, source, now)
    clock = _clock_event(site.clock_skew_s, values["clock_skew_s"]) if opened.kind != "report" else None  # a report's clock is days old
    events += [_event(now, "clock", clock)] if clock else []
    if "version" in values and site.version is not None and values["version"] != site.version:
        events.append(_event(now, "version", f"version {site.version} -> {values['version']}"))
    if "status_json" in values and values["condition"] != site.condition and site.condition is not None:
        reasons = "; ".join(str(r) for r in payload["status"].get("reasons") or [])
        events.append(_event(now, "health", f"health {site.condition} -> {values['condition']}" + (f": {reasons}" if reasons else "")))
    if "alerts_json" in values and payload["alerts"] != (json.loads(site.alerts_json) if site.alerts_json else []):
        events.append(_event(now, "alerts", f"alerts firing: {', '.join(_alert_name(a) for a in payload['alerts']) or 'none'}"))
    for told in payload.get("events") or [] if source == "file" else []:
        if isinstance(told, dict):
            events.append(_event(_when(told.get("at"), now), str(told.get("kind", "site"))[:30],
                                 str(told.get("message", ""))) | {"source": "site"})
    new = replace(site, **{k: v for k, v in values.items() if k in SiteRow.__dataclass_fields__})
    state = derive_state(new, now)
    if state != site.state:
        events.append(_event(changed_at(new, state, now), "state", f"{site.state} -> {state}"))
    values["state"] = state
    return replace(new, state=state), values, events


def _quiet(conn: Connection, opened: Opened, now: datetime.datetime) -> Taken | None:
    """Take a check-in that brings no news in one statement; None when the row says it may
    (another state, health, version or alerts, a clock far off) or when it is no check-in the
    site may send now: the full way then decides, and says why it refuses one."""
    values = _written(opened, "online", now)
    skew = values["clock_skew_s"]
    if "status_json" not in values or (skew is not None and abs(skew) > SKEW_NOTED_S):
        return None  # health unknown, so the state too; or a clock event that may be news
    # Checked in just now: the state follows from the health alone (hub/site_state.py).
    state = derive_state(replace(_JUST_SEEN, last_seen=now, condition=values["condition"]), now)
    statement = _quiet_statement("version" in values, "alerts_json" in values, skew is not None)
    found = conn.execute(statement, values | {
        "b_id": opened.site, "b_key": opened.key.public_key, "b_seq": opened.seq, "b_state": state,
        "b_condition": values["condition"], "b_version": values.get("version"), "b_alerts": values.get("alerts_json"),
    }).first()
    if found is None:
        return None
    *kept, on_channel = found
    site = SiteRow(id=opened.site, public_key=opened.key.public_key, disconnected_at=None, last_seq=opened.seq,
                   last_seen=now, state=state, mode="online", condition=values["condition"], clock_skew_s=skew,
                   last_digest=opened.digest, **dict(zip(_ROW_ALONE, kept, strict=True)))
    return Taken(site, True, reply(site, newest_of(site, releases_of(on_channel))))


_JUST_SEEN = SiteRow(id="", public_key=b"", disconnected_at=None, last_seq=0, last_seen=None, state="", mode="online",
                     condition=None, interval_s=INTERVAL_RANGE[1], application=None, version=None, channel="",
                     clock_skew_s=None, alerts_json=None, inventory_sha256=None, last_digest=None)


@functools.cache
def _quiet_statement(version: bool, alerts: bool, clock: bool) -> Update:
    """The UPDATE of a check-in that brings no news, for what the document states: its WHERE is
    true only when none of _changes' events can follow (the stored health, version and alerts are
    the document's or unknown, a clock about right before and now, the same state after)."""
    where = [SITES.c.id == bindparam("b_id"), SITES.c.public_key == bindparam("b_key"),
             SITES.c.disconnected_at.is_(None), SITES.c.last_seq < bindparam("b_seq"),
             SITES.c.state == bindparam("b_state"),
             or_(SITES.c.condition.is_(None), SITES.c.condition == bindparam("b_condition"))]
    if version:
        where.append(or_(SITES.c.version.is_(None), SITES.c.version == bindparam("b_version")))
    if alerts:
        where.append(SITES.c.alerts_json == bindparam("b_alerts"))
    if clock:
        where.append(SITES.c.clock_skew_s.between(-SKEW_NOTED_S, SKEW_NOTED_S))
    return update(SITES).where(*where).returning(*(SITES.c[name] for name in _ROW_ALONE), ON_ITS_CHANNEL)


# Of a site's row once a quiet check-in updated it, what only the row says (a document need not
# state them); the rest is the document's or what the UPDATE's WHERE held. Returning these six
# columns, not the 16 of SiteRow, took about 0.05 ms off each check-in's CPU.
_ROW_ALONE = ("channel", "interval_s", "application", "version", "inventory_sha256", "alerts_json")


def _event(at: datetime.datetime, kind: str, message: str) -> dict[str, Any]:
    return {"at": at, "kind": kind, "message": message}


def _clock_event(was: int | None, skew: int | None) -> str | None:
    """How far the site's clock is off, when that is news: a big skew is an event, never a refusal."""
    if skew is None:
        return None
    if abs(skew) > SKEW_NOTED_S and (was is None or abs(skew - was) > SKEW_NOTED_S):
        return f"the site's clock is {_duration(skew)} {'ahead' if skew > 0 else 'behind'}"
    if abs(skew) <= SKEW_NOTED_S and was is not None and abs(was) > SKEW_NOTED_S:
        return "the site's clock is right again"
    return None


def _alert_name(alert: Any) -> str:
    if isinstance(alert, dict):
        return str(alert.get("name") or alert.get("alertname") or alert.get("summary") or json.dumps(alert))
    return str(alert)


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
