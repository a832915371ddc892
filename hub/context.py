"""What every request of a hub process shares: the database sessions, the blob store and the
process's upload counters, kept in the Flask app (app.extensions["hub"])."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import current_app, g
from sqlalchemy.orm import Session, sessionmaker

from hub.blobstore import BlobStore


@dataclass
class Counters:
    """What this process received in blob uploads (GET /api/v1/stats), so a publisher, or a
    test, can see that a blob the hub held was not sent again."""

    blob_bytes: int = 0
    blob_requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, size: int) -> None:
        with self._lock:
            self.blob_bytes += size
            self.blob_requests += 1


@dataclass(frozen=True)
class HubTls:
    """The certificate this process serves, as install links name it: a self-signed one is
    given to the target host in the link's command (curl --cacert) and pinned by its fingerprint."""

    cert_pem: str
    fingerprint: str  # SHA-256, lower-case hex
    self_signed: bool


@dataclass
class Hub:
    sessions: sessionmaker[Session]
    store: BlobStore
    counters: Counters = field(default_factory=Counters)
    tls: HubTls | None = None  # None: served by a test client, or behind a proxy that ends TLS


def hub() -> Hub:
    state: Hub = current_app.extensions["hub"]
    return state


def db() -> Session:
    """This request's database session, closed when the request ends."""
    if "db" not in g:
        g.db = hub().sessions()
    session: Session = g.db
    return session


def close_db(_exc: BaseException | None = None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()
