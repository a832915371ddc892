"""A site's state, derived from when the hub last heard from it and what it said, never from
probing it (the hub never opens a connection to a site):

    registered    enrolled, no check-in yet
    online        checked in within STALE_INTERVALS of its interval, healthy
    degraded      as online, but its status document says degraded or down
    stale         silent for more than STALE_INTERVALS intervals
    offline       silent for more than OFFLINE_INTERVALS intervals, or a site that reports by file
    disconnected  ended by `./install hub disconnect`; its check-ins are refused

A change is recorded as an event when the hub notices it (a check-in, or a page or API read), at
the moment it happened: a site found stale became so STALE_INTERVALS intervals after it was last
seen. Several hub processes may notice at once: the state is changed with a conditional UPDATE,
so one of them records the event.
"""

from __future__ import annotations

import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.models import Site, SiteEvent, aware

STALE_INTERVALS = 3
OFFLINE_INTERVALS = 10
TROUBLED = ("degraded", "down")


class Seen(Protocol):
    """What a state is derived from: a Site, or the row a check-in reads (hub/check_ins.py)."""

    @property
    def disconnected_at(self) -> datetime.datetime | None: ...
    @property
    def last_seen(self) -> datetime.datetime | None: ...
    @property
    def mode(self) -> str: ...
    @property
    def interval_s(self) -> int: ...
    @property
    def condition(self) -> str | None: ...


def derive_state(site: Seen, now: datetime.datetime) -> str:
    if site.disconnected_at is not None:
        return "disconnected"
    if site.last_seen is None:
        return "registered"
    if site.mode == "file":
        return "offline"
    silent = (now - aware(site.last_seen)).total_seconds()
    if silent > OFFLINE_INTERVALS * site.interval_s:
        return "offline"
    if silent > STALE_INTERVALS * site.interval_s:
        return "stale"
    return "degraded" if site.condition in TROUBLED else "online"


def changed_at(site: Seen, state: str, now: datetime.datetime) -> datetime.datetime:
    """When a site reached `state`: silence is dated from the last check-in, the rest is now."""
    if site.last_seen is not None and site.mode == "online" and state in ("stale", "offline"):
        intervals = STALE_INTERVALS if state == "stale" else OFFLINE_INTERVALS
        return aware(site.last_seen) + datetime.timedelta(seconds=intervals * site.interval_s)
    return now


def refresh(db: Session, site: Site, now: datetime.datetime) -> None:
    """Bring `site.state` up to date, recording the change as an event (not committed)."""
    new = derive_state(site, now)
    if new == site.state:
        return
    old = site.state
    taken = db.execute(update(Site).where(Site.id == site.id, Site.state == old).values(state=new)
                       .execution_options(synchronize_session=False))
    site.state = new
    if taken.rowcount:  # type: ignore[attr-defined]
        db.add(SiteEvent(site_id=site.id, at=changed_at(site, new, now), kind="state", source="hub",
                         message=f"{old} -> {new}"))


def refresh_all(db: Session, now: datetime.datetime) -> list[Site]:
    """Every site, newest seen first, with its state brought up to date (committed)."""
    sites = list(db.scalars(select(Site).order_by(Site.last_seen.desc().nulls_last(), Site.id)))
    for site in sites:
        refresh(db, site, now)
    db.commit()
    return sites
