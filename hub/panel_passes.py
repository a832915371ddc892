"""Who may reach a site's control panel on which panel port, kept in the database so every hub
process on it agrees.

A site's panel is served on a port of its own (`--panel-ports`), each an origin apart from the
hub's and from every other site's, so a compromised panel's scripts can read nothing of the hub
nor of another panel. A port is leased to one site's open support session (the site keeps its
lease while that session is open; a lease whose session ended is taken back). "Open control
panel" makes a single-use ticket bound to the hub user, the site and the port; the panel port
redeems it once, within TICKET_S, for a grant kept in a cookie of that port. A grant is good only
on its port, while that port's lease is still its session's, the session is open and the user
still has a role that may reach a site. Secrets are random; rows keep their sha256.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub import support
from hub.models import PanelLease, PanelPass, SupportSession, User, aware, utcnow
from hub.roles import SUPPORT, may
from installer.errors import AirliftError

TICKET_S = 60
GRANT_LIFETIME = datetime.timedelta(hours=12)  # as a hub sign-in; never past the session's end


@dataclass(frozen=True)
class Entry:
    """Who a redeemed ticket or a grant lets in, to which site's session."""

    user: str
    site_id: str
    session: SupportSession


class PassRefused(Exception):
    """A ticket or grant that does not let its bearer in; the message says why and what to do."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def lease(db: Session, session: SupportSession, ports: tuple[int, ...], now: datetime.datetime | None = None) -> int:
    """The panel port of `session` (its site's open one): the lease it holds, else a free port or
    one whose session ended (committed). Raises when every port is lent to another open session."""
    now = now or utcnow()
    held = db.scalar(select(PanelLease).where(PanelLease.session_id == session.id))
    if held is not None and held.port in ports:
        return held.port
    leases = {row.port: row for row in db.scalars(select(PanelLease).where(PanelLease.port.in_(ports)))}
    for port in sorted(ports, key=lambda p: (leases.get(p) is not None and leases[p].site_id != session.site_id, p)):
        row = leases.get(port)
        if row is None and _insert(db, PanelLease(port=port, site_id=session.site_id, session_id=session.id,
                                                   leased_at=now)):
            return port
        if row is not None and support.usable(db, row.session_id, now) is None and _take_back(db, row, session, now):
            return port
    raise AirliftError(f"All {len(ports)} control-panel ports of this hub ({describe_ports(ports)}) are lent to "
                       "other sites' open support sessions",
                       hint="open it again once one of those sessions closes, or start the hub with more "
                            "--panel-ports")


def _insert(db: Session, row: PanelLease) -> bool:
    """Take a port no lease named; another hub process may have taken it a moment before."""
    db.add(row)
    try:
        db.commit()
        return True
    except IntegrityError:
        db.rollback()
        return False


def _take_back(db: Session, row: PanelLease, session: SupportSession, now: datetime.datetime) -> bool:
    """Lend a port whose session ended to `session`, unless another hub process did first."""
    done = db.execute(update(PanelLease).where(PanelLease.port == row.port, PanelLease.session_id == row.session_id)
                      .values(site_id=session.site_id, session_id=session.id, leased_at=now))
    db.commit()
    return bool(getattr(done, "rowcount", 0))


def make_ticket(db: Session, user: str, session: SupportSession, port: int, now: datetime.datetime | None = None) -> str:
    """A single-use ticket for `user` into `session`'s panel on `port` (committed); its secret."""
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    db.execute(delete(PanelPass).where(PanelPass.expires_at < now))
    db.add(PanelPass(id_hash=_hash(secret), kind="ticket", user_name=user, site_id=session.site_id,
                     session_id=session.id, port=port, expires_at=now + datetime.timedelta(seconds=TICKET_S)))
    db.commit()
    return secret


def redeem(db: Session, secret: str, port: int, now: datetime.datetime | None = None) -> tuple[Entry, str]:
    """The ticket `secret` used up on `port` for a new grant (committed): who it lets in, and the
    grant's secret. Refused when unknown, used, expired, for another port, or no longer good."""
    now = now or utcnow()
    row = db.get(PanelPass, _hash(secret))
    if row is None or row.kind != "ticket":
        raise PassRefused("This link into a control panel is not one the hub made")
    if row.used_at is not None:
        raise PassRefused("This link into a control panel was used already: each works once")
    if aware(row.expires_at) <= now:
        raise PassRefused(f"This link into a control panel is older than {TICKET_S} s")
    taken = db.execute(update(PanelPass).where(PanelPass.id_hash == row.id_hash, PanelPass.used_at.is_(None))
                       .values(used_at=now))
    db.commit()
    if not getattr(taken, "rowcount", 0):
        raise PassRefused("This link into a control panel was used already: each works once")
    entry = _still_good(db, row, port, now)
    grant = secrets.token_urlsafe(32)
    db.add(PanelPass(id_hash=_hash(grant), kind="grant", user_name=row.user_name, site_id=row.site_id,
                     session_id=row.session_id, port=port,
                     expires_at=min(aware(entry.session.expires_at), now + GRANT_LIFETIME)))
    db.commit()
    return entry, grant


def check_grant(db: Session, secret: str | None, port: int, now: datetime.datetime | None = None) -> Entry:
    """Who the grant `secret` lets into the panel on `port` now; refused otherwise."""
    now = now or utcnow()
    row = db.get(PanelPass, _hash(secret)) if secret else None
    if row is None or row.kind != "grant":
        raise PassRefused("This browser has no way into this control panel")
    if aware(row.expires_at) <= now:
        raise PassRefused("This browser's way into the control panel has expired")
    return _still_good(db, row, port, now)


def _still_good(db: Session, row: PanelPass, port: int, now: datetime.datetime) -> Entry:
    if row.port != port:
        raise PassRefused(f"This was made for the panel port {row.port}, not {port}")
    held = db.get(PanelLease, port)
    session = support.usable(db, row.session_id, now)
    if session is None or held is None or held.session_id != row.session_id:
        raise PassRefused(f"Site {row.site_id}'s support session this was made for has ended")
    user = db.scalar(select(User).where(User.name == row.user_name))
    if user is None or not may(user.role, SUPPORT):
        raise PassRefused(f"Hub user {row.user_name} may no longer reach into a site "
                          f"({'removed' if user is None else 'role ' + user.role})")
    return Entry(user.name, row.site_id, session)


def describe_ports(ports: tuple[int, ...]) -> str:
    """`8444-8451`, or the ports one by one when they are not one range."""
    if ports and list(ports) == list(range(ports[0], ports[0] + len(ports))):
        return f"{ports[0]}-{ports[-1]}" if len(ports) > 1 else str(ports[0])
    return ",".join(map(str, ports))
