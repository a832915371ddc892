"""The hub's server under clients that misbehave on their connection's end."""

from __future__ import annotations

import http.client
import time

from installer.transfer.pins import connect_pinned
from tests.integration.hub.conftest import HubProcess

HELD = 4  # clients in a row that never close their end


def _answered_and_left_open(hub: HubProcess) -> http.client.HTTPResponse:
    conn = connect_pinned(hub.url, hub.fingerprint.removeprefix("SHA256:"), 10, 10)
    conn.request("GET", "/api/v1/ping", headers={"Connection": "close"})
    answer = conn.getresponse()
    assert answer.status == 200  # the answer is in; its socket stays open while the answer is held
    return answer


def test_clients_that_never_close_their_end_hold_nobody_else_up(hub_process: HubProcess) -> None:
    """The server closes such a connection gracefully: it half-closes, then waits up to 2 s for the
    client's end. That wait must not stop the server from taking the next connection (it did while
    gunicorn's main thread, which accepts, made it: each such client held everyone up for 2 s)."""
    began = time.monotonic()
    held = [_answered_and_left_open(hub_process) for _ in range(HELD)]
    took = time.monotonic() - began
    for answer in held:
        answer.close()
    assert took < 1.5, f"{HELD} clients one after another took {took:.1f} s"
