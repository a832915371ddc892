"""One-time sign-in links for the control panel: `./install panel-link` (root, on the first master)
makes one; the panel spends it. They meet only in `<state>/panel/links.json` (0600), which holds
the tokens' SHA-256 and expiry, never a token: reading the file does not let anyone in.

A token works once, for LINK_SECONDS; it is compared in constant time, and the file is changed
under an exclusive lock so two browsers cannot both spend it.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from installer.statedir import StateDir

LINK_SECONDS = 600


def make_link_token(state_dir: Path, clock: Callable[[], float] = time.time) -> str:
    """A fresh token, recorded (as its hash) with its expiry; expired ones are dropped."""
    token = secrets.token_urlsafe(32)
    now = clock()
    with _locked(state_dir) as links:
        live = {h: expiry for h, expiry in links.items() if expiry > now}
        live[_digest(token)] = now + LINK_SECONDS
        links.clear()
        links.update(live)
    return token


def redeem_link_token(state_dir: Path, token: str, clock: Callable[[], float] = time.time) -> bool:
    """Spend `token`: True once if it was made here and has not expired; False otherwise."""
    if not token or not StateDir(state_dir).panel_links.is_file():
        return False
    wanted, now, found = _digest(token), clock(), False
    with _locked(state_dir) as links:
        for known, expiry in list(links.items()):
            match = hmac.compare_digest(known, wanted)
            found = found or (match and expiry > now)
            if match or expiry <= now:
                del links[known]
    return found


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class _locked:
    """The links file as a dict, read and written back under an exclusive lock."""

    def __init__(self, state_dir: Path) -> None:
        paths = StateDir(state_dir)
        paths.panel.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = paths.panel_links
        self.links: dict[str, float] = {}

    def __enter__(self) -> dict[str, float]:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        with open(self.fd, encoding="utf-8", closefd=False) as f:
            text = f.read()
        try:
            loaded = json.loads(text) if text.strip() else {}
        except ValueError:
            loaded = {}  # a torn file: its links are lost, a new one can be made
        self.links = {str(k): float(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
        return self.links

    def __exit__(self, *exc: object) -> None:
        try:
            data = json.dumps(self.links).encode("utf-8")
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, data, 0)
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
