"""Who may use the wizard.

The wizard drives a root-level install, so it trusts only someone who can read the terminal
or the state directory: the URL printed there carries a one-time token, which the first
browser to open it exchanges for a session cookie. The token is then spent and a fresh one is
minted (and printed again) so a second browser can still be let in.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable

COOKIE = "airlift_session"
SESSION_IDLE_SECONDS = 12 * 3600


class Gate:
    """One-time URL tokens and the sessions they were exchanged for."""

    def __init__(self, on_new_token: Callable[[str], None] | None = None,
                 idle_seconds: float = SESSION_IDLE_SECONDS, clock: Callable[[], float] = time.monotonic):
        self._lock = threading.Lock()
        self.on_new_token = on_new_token
        self._idle = idle_seconds
        self._clock = clock
        self._sessions: dict[str, float] = {}
        self.token = ""
        self._mint()

    def _mint(self) -> None:
        self.token = secrets.token_urlsafe(24)
        if self.on_new_token:
            self.on_new_token(self.token)

    def exchange(self, token: str) -> str | None:
        """Spend a URL token; return a new session id, or None if the token is not the current one."""
        with self._lock:
            if not token or not hmac.compare_digest(token.encode(), self.token.encode()):
                return None
            session = secrets.token_urlsafe(32)
            self._sessions[session] = self._clock()
            self._mint()
            return session

    def admits(self, session: str | None) -> bool:
        """True if the session is known and not idle for too long; using it keeps it alive."""
        if not session:
            return False
        now = self._clock()
        with self._lock:
            for known, seen in list(self._sessions.items()):
                if now - seen > self._idle:
                    del self._sessions[known]
                elif hmac.compare_digest(known.encode(), session.encode()):
                    self._sessions[known] = now
                    return True
        return False
