"""Where the hub keeps its data: the database URL (SQLite in the data folder unless
--database names another) and the engine and sessions made from it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_NAME = "hub.sqlite3"
# The server runs each client connection on a thread of its own. A pool smaller than the requests
# in flight closes every connection past it when it is given back, so under steady load most
# requests would open a new PostgreSQL connection (a new server process) and close it again. A
# check-in with events holds two at once (hub/check_ins.py: its reads outside any transaction, its
# writes in one), so the pool holds twice the server's threads (hub/wsgi_server.py THREADS): no
# request ever waits for a connection another request holds.
POOL_SIZE, POOL_OVERFLOW = 20, 44
IDLE_PING_S = 10.0  # a pooled connection unused longer is checked before a request gets it


def database_url(data_dir: Path, given: str | None) -> str:
    """`given`, or the embedded SQLite database in `data_dir`."""
    return given or f"sqlite:///{Path(data_dir).resolve() / SQLITE_NAME}"


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets foreign keys on and a wait on a busy file, as several
    request threads share it."""
    if not url.startswith("sqlite"):
        engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
        _ping_when_idle(engine)
        return engine
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(conn, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it sat unused for IDLE_PING_S: one that was
    just given back is alive (a database restart is noticed on the first idle checkout, or by the
    request that meets it), and a ping on every checkout was a round trip added to each request."""

    @event.listens_for(engine, "checkin")
    def _returned(_conn: Any, record: Any) -> None:
        record.info["returned"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _taken(conn: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned")  # None: just opened
        if returned is None or time.monotonic() - returned < IDLE_PING_S:
            return
        try:
            conn.cursor().execute("SELECT 1")
            conn.rollback()
        except Exception as e:  # the pool replaces the connection and checks out another
            raise DisconnectionError(str(e)) from e


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
