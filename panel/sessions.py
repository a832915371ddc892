"""Signed-in browsers: a random session id in a cookie (`__Host-` prefixed: Secure, Path=/, no
Domain; HttpOnly, SameSite=Strict), kept in this process's memory with a CSRF token of its own.

A session ends after IDLE_S without a request, after MAX_S in all, or at sign-out; a restart of
the panel ends them all (signing in again is cheap, a stolen cookie then dies with it).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

COOKIE = "__Host-airlift_panel"
IDLE_S = 30 * 60
MAX_S = 12 * 3600


@dataclass
class Session:
    id: str
    csrf: str
    started: float
    seen: float


class Sessions:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._live: dict[str, Session] = {}

    def open(self) -> Session:
        now = self._clock()
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._live[session.id] = session
        return session

    def find(self, session_id: str | None) -> Session | None:
        """The live session with this id (its use keeps it alive), else None."""
        if not session_id:
            return None
        now = self._clock()
        with self._lock:
            found = None
            for known, session in list(self._live.items()):
                if now - session.seen > IDLE_S or now - session.started > MAX_S:
                    del self._live[known]
                elif hmac.compare_digest(known.encode(), session_id.encode()):
                    session.seen = now
                    found = session
            return found

    def close(self, session_id: str) -> None:
        with self._lock:
            self._live.pop(session_id, None)


def csrf_matches(session: Session, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(session.csrf.encode(), str(token).encode())
