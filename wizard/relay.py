"""Socket.IO: the engine's events, live, to every browser with a session; history on request.

Browsers only listen here (actions are HTTP). Every connect and every event a browser sends
checks the session; anything else is refused and logged.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import request
from flask_socketio import ConnectionRefusedError, SocketIO, disconnect, join_room

from installer.engine_api import EngineAPI
from installer.events import Event
from wizard.access import COOKIE, Gate

log = logging.getLogger("airlift.wizard")
ROOM = "operators"


def attach(socketio: SocketIO, engine: EngineAPI, gate: Gate) -> None:
    """Register the handlers and subscribe a relay sink to the engine's event bus."""

    def admitted() -> bool:
        return gate.admits(request.cookies.get(COOKIE))

    def guarded(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def check(*args: Any) -> Any:
            if not admitted():
                log.warning("refused Socket.IO event %r from %s: no valid session",
                            handler.__name__, request.remote_addr)
                disconnect()
                return {"error": "no wizard session"}
            return handler(*args)
        return check

    @socketio.on("connect")
    def connect(auth: Any = None) -> None:
        if not admitted():
            log.warning("refused Socket.IO connection from %s: no valid session", request.remote_addr)
            raise ConnectionRefusedError("no wizard session: open the access link printed by ./install")
        join_room(ROOM)

    @socketio.on("replay")
    @guarded
    def replay(data: Any = None) -> list[dict]:
        """The event history after the client's last seen sequence number (0: everything)."""
        after = data.get("after", 0) if isinstance(data, dict) else 0
        after = after if isinstance(after, int) and after >= 0 else 0
        return [event.to_dict() for event in engine.events_since(after)]

    @socketio.on("*")
    def unknown(event: str, *args: Any) -> dict:
        log.warning("refused unknown Socket.IO event %r from %s", event, request.remote_addr)
        return {"error": f"unknown event {event!r}"}

    def relay(event: Event) -> None:
        socketio.emit("event", event.to_dict(), to=ROOM)

    engine.bus.add_sink(relay)
