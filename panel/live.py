"""Socket.IO: the events of one operation, live, to the browsers following it (the Operations
screen's log, a node's removal in progress). Browsers only listen here: they say which operation
they follow (`follow`, with the last event they saw) and get `op_events`; actions are HTTP.

Every connection must carry a live session and come from the panel's own origin; anything else is
refused and logged. One watcher thread reads the followed operations' event logs every POLL_S, so
an operation the controller runs, an upgrade run from a terminal, or the install itself are all
followed the same way: from the files the engine writes.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import request
from flask_socketio import ConnectionRefusedError, SocketIO

from installer.errors import AirliftError
from panel.access import current_session, same_origin
from panel.site import Site

log = logging.getLogger("airlift.panel")
POLL_S = 0.5


class Followers:
    """Which browser (Socket.IO sid) follows which operation, and the last event it was sent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._following: dict[str, tuple[str, int]] = {}

    def follow(self, sid: str, op_id: str, after: int) -> None:
        with self._lock:
            self._following[sid] = (op_id, after)

    def advance(self, sid: str, op_id: str, seq: int) -> None:
        with self._lock:
            if self._following.get(sid, ("", 0))[0] == op_id:
                self._following[sid] = (op_id, seq)

    def drop(self, sid: str) -> None:
        with self._lock:
            self._following.pop(sid, None)

    def items(self) -> list[tuple[str, str, int]]:
        with self._lock:
            return [(sid, op, after) for sid, (op, after) in self._following.items()]


def attach(socketio: SocketIO, site: Site) -> None:
    followers = Followers()
    started = threading.Event()

    @socketio.on("connect")
    def connect(auth: Any = None) -> None:
        if not same_origin() or current_session() is None:
            log.warning("refused Socket.IO connection from %s (origin %r): %s", request.remote_addr,
                        request.headers.get("Origin"), "not this panel's origin" if not same_origin() else "no session")
            raise ConnectionRefusedError("sign in to the control panel first")
        if not started.is_set():
            started.set()
            socketio.start_background_task(_watch, socketio, site, followers)

    @socketio.on("follow")
    def follow(data: Any = None) -> dict:
        if current_session() is None:
            return {"error": "not signed in"}
        op_id = str(data.get("id", "")) if isinstance(data, dict) else ""
        after = data.get("after", 0) if isinstance(data, dict) else 0
        followers.follow(_sid(), op_id, after if isinstance(after, int) and after >= 0 else 0)
        return {"following": op_id}

    @socketio.on("disconnect")
    def disconnect() -> None:
        followers.drop(_sid())

    @socketio.on("*")
    def unknown(event: str, *args: Any) -> dict:
        log.warning("refused unknown Socket.IO event %r from %s", event, request.remote_addr)
        return {"error": f"unknown event {event!r}"}


def _sid() -> str:
    """This Socket.IO connection's id (Flask-SocketIO sets it on the request)."""
    return str(request.sid)  # type: ignore[attr-defined]


def _watch(socketio: SocketIO, site: Site, followers: Followers) -> None:
    """Send each follower the events its operation logged since the last it was sent."""
    while True:
        for sid, op_id, after in followers.items():
            try:
                events = site.operation_events(op_id, after)
            except AirliftError:
                followers.drop(sid)
                continue
            if events:
                followers.advance(sid, op_id, events[-1].seq)
                socketio.emit("op_events", {"id": op_id, "events": [e.to_dict() for e in events]}, to=sid)
        socketio.sleep(POLL_S)
