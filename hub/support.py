"""Remote-support sessions, the hub's half of the bookkeeping: a site asks (signed, over its
HTTPS link) for a session; the hub assigns it loopback ports, one per service the site allowed,
for at most the site's TTL. The SSH endpoint (hub/tunnel_ssh.py) lets the site forward exactly
those ports while the session is usable; `close`, the TTL or the site's disconnection ends it.

Every open, close, forward and connection is an AuditEvent (who, when, what, bytes).
"""

from __future__ import annotations

import datetime
import json
import re
import secrets
import socket
from typing import Any

import asyncssh
from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import AuditEvent, Site, SiteEvent, SupportSession, aware, utcnow
from hub.sites import SiteError, site_of, take_seq
from installer.hub_link.envelope import Opened

SERVICES = ("panel", "kube")
SSH_NODE = re.compile(r"^ssh:[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
MAX_SERVICES = 66
MIN_TTL_S, MAX_TTL_S = 60, 7 * 86400
LOOPBACK = "127.0.0.1"


def open_session(db: Session, site_id: str, opened: Opened, now: datetime.datetime | None = None) -> SupportSession:
    """Open a session for the site that signed `opened` (kind "support-open"); an earlier open one
    of the same site is closed first, so a site has at most one."""
    now = now or utcnow()
    if opened.kind != "support-open" or opened.site != site_id:
        raise SiteError(f"this route takes a support-open document of {site_id}")
    site = site_of(db, opened)
    payload = opened.payload
    allow = payload.get("allow")
    if not isinstance(allow, list) or not allow or len(allow) > MAX_SERVICES or not all(map(is_service, allow)):
        raise SiteError(f"allow {allow!r}: name one or more of {', '.join(SERVICES)}, ssh:NODE")
    keys = host_keys(payload.get("host_keys"), allow)
    ttl = payload.get("ttl_s")
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not MIN_TTL_S <= ttl <= MAX_TTL_S:
        raise SiteError(f"ttl_s {ttl!r}: a support session lasts {MIN_TTL_S} s to {MAX_TTL_S // 86400} days")
    take_seq(db, site, opened)
    _close_open(db, site, "replaced by a new session", now)
    ports = {name: free_port() for name in dict.fromkeys(allow)}
    ca = kube_ca(payload.get("kube_ca"))
    session = SupportSession(id="sup-" + secrets.token_hex(10), site_id=site.id, allow_json=json.dumps(list(ports)),
                             ports_json=json.dumps(ports), kube_ca=ca, host_keys_json=json.dumps(keys),
                             opened_at=now, expires_at=now + datetime.timedelta(seconds=ttl))
    db.add(session)
    what = ", ".join(f"{k} on {LOOPBACK}:{v}" for k, v in ports.items())
    audit(db, site.id, "open", f"support session {session.id} opened by the site until "
          f"{session.expires_at:%Y-%m-%d %H:%M} UTC: {what}", site.id, session.id, now)
    db.add(SiteEvent(site_id=site.id, at=now, kind="support", source="hub",
                     message=f"support session opened until {session.expires_at:%Y-%m-%d %H:%M} UTC ({what})"))
    db.commit()
    return session


def is_service(name: object) -> bool:
    return isinstance(name, str) and (name in SERVICES or SSH_NODE.match(name) is not None)


def host_keys(value: object, allow: list[str]) -> dict[str, str]:
    """The host key of each ssh:NODE allowed (an OpenSSH public key line): the vendor's ssh checks it."""
    keys = value if isinstance(value, dict) else {}
    found = {}
    for name in (a for a in allow if a.startswith("ssh:")):
        try:
            line = keys[name]
            asyncssh.import_public_key(line)
        except (KeyError, TypeError, asyncssh.KeyImportError) as e:
            raise SiteError(f"host_keys: {name} needs the OpenSSH public key its sshd shows ({e})") from None
        found[name] = str(line)
    return found


def host_keys_of(session: SupportSession) -> dict[str, str]:
    return dict(json.loads(session.host_keys_json or "{}"))


def kube_ca(value: object) -> str | None:
    """The cluster CA a site sent (one PEM certificate), None when it sent none."""
    if value is None:
        return None
    try:
        if not isinstance(value, str) or len(value) > 16384:
            raise ValueError("not a PEM text")
        x509.load_pem_x509_certificate(value.encode())
    except ValueError as e:
        raise SiteError(f"kube_ca is not a PEM certificate ({e})") from None
    return value


def close_session(db: Session, site_id: str, opened: Opened, now: datetime.datetime | None = None) -> int:
    """Close the site's open session (kind "support-close"); how many were closed."""
    now = now or utcnow()
    if opened.kind != "support-close" or opened.site != site_id:
        raise SiteError(f"this route takes a support-close document of {site_id}")
    site = site_of(db, opened)
    take_seq(db, site, opened)
    closed = _close_open(db, site, "closed by the site", now)
    db.commit()
    return closed


def close_for_disconnect(db: Session, site: Site, now: datetime.datetime) -> None:
    """The site disconnected from the hub: its session ends with it (not committed)."""
    _close_open(db, site, "the site disconnected from the hub", now)


def _close_open(db: Session, site: Site, why: str, now: datetime.datetime) -> int:
    sessions = list(db.scalars(select(SupportSession).where(SupportSession.site_id == site.id,
                                                            SupportSession.closed_at.is_(None))))
    for s in sessions:
        s.closed_at, s.closed_by = now, why[:100]
        audit(db, site.id, "close", f"support session {s.id} {why}", site.id, s.id, now)
        db.add(SiteEvent(site_id=site.id, at=now, kind="support", source="hub", message=f"support session {why}"))
    return len(sessions)


def expire_due(db: Session, now: datetime.datetime | None = None) -> list[str]:
    """Close every session whose TTL passed (committed); their ids."""
    now = now or utcnow()
    due = [s for s in db.scalars(select(SupportSession).where(SupportSession.closed_at.is_(None)))
           if aware(s.expires_at) <= now]
    for s in due:
        s.closed_at, s.closed_by = now, "its time ran out"
        audit(db, s.site_id, "close", f"support session {s.id} ended: its time ran out", s.site_id, s.id, now)
        db.add(SiteEvent(site_id=s.site_id, at=now, kind="support", source="hub",
                         message="support session ended: its time ran out"))
    db.commit()
    return [s.id for s in due]


def usable(db: Session, session_id: str, now: datetime.datetime | None = None) -> SupportSession | None:
    """The session if it is open, within its TTL, and its site still connected."""
    now = now or utcnow()
    s = db.get(SupportSession, session_id)
    if s is None or s.closed_at is not None or aware(s.expires_at) <= now:
        return None
    site = db.get(Site, s.site_id)
    return s if site is not None and site.disconnected_at is None else None


def open_for_site(db: Session, site_id: str, now: datetime.datetime | None = None) -> SupportSession | None:
    s = db.scalar(select(SupportSession).where(SupportSession.site_id == site_id, SupportSession.closed_at.is_(None))
                  .order_by(SupportSession.opened_at.desc()))
    return usable(db, s.id, now) if s is not None else None


def ports_of(session: SupportSession) -> dict[str, int]:
    return {str(k): int(v) for k, v in json.loads(session.ports_json).items()}


def describe(session: SupportSession) -> dict[str, Any]:
    return {"session": session.id, "site_id": session.site_id, "forwards": ports_of(session),
            "opened_at": aware(session.opened_at).isoformat(), "expires_at": aware(session.expires_at).isoformat()}


def audit(db: Session, actor: str, action: str, detail: str, site_id: str | None = None,
          session_id: str | None = None, at: datetime.datetime | None = None,
          bytes_in: int | None = None, bytes_out: int | None = None) -> None:
    """One audit line (not committed)."""
    db.add(AuditEvent(at=at or utcnow(), actor=actor[:100], site_id=site_id, session_id=session_id,
                      action=action[:30], detail=detail, bytes_in=bytes_in, bytes_out=bytes_out))


def free_port() -> int:
    """A loopback port free now; the site's forward request names it, and the hub listens on it then."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])
