"""Where the hub keeps its data: the database URL (SQLite in the data folder unless
--database names another) and the engine and sessions made from it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

SQLITE_NAME = "hub.sqlite3"
# The server runs each client connection on a thread of its own. A pool smaller than the requests
# in flight closes every connection past it when it is given back, so under steady load most
# requests would open a new PostgreSQL connection (a new server process) and close it again.
POOL_SIZE, POOL_OVERFLOW = 20, 20


def database_url(data_dir: Path, given: str | None) -> str:
    """`given`, or the embedded SQLite database in `data_dir`."""
    return given or f"sqlite:///{Path(data_dir).resolve() / SQLITE_NAME}"


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets foreign keys on and a wait on a busy file, as several
    request threads share it."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(conn, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
