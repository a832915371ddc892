"""Only a few of the hub's requests run their Python at once (hub/gate.py), let in first come,
first served; a long upload, download or panel request gives its slot up (hub/wsgi_server.py), and
a slot held by a request that hangs delays the others by at most the gate's wait, never stops them."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from hub import wsgi_server
from hub.gate import Gate


def _queue_up(gate: Gate, names: list[str], ran: list[str], release: threading.Event) -> list[threading.Thread]:
    """Start a thread per name, one after another, each queued on the gate before the next starts."""
    threads = []
    for name in names:
        def run(name: str = name) -> None:
            with gate.inside():
                ran.append(name)
                release.wait(5)
        thread = threading.Thread(target=run)
        thread.start()
        threads.append(thread)
        time.sleep(0.05)
    return threads


@pytest.mark.parametrize("slots", [1, 2])
def test_requests_are_let_in_in_the_order_they_came_and_no_more_than_the_slots_at_once(slots: int) -> None:
    gate, ran, go_on = Gate(slots=slots, wait_s=10), [], threading.Event()
    threads = _queue_up(gate, ["a", "b", "c", "d", "e"], ran, go_on)
    assert ran == ["a", "b"][:slots]  # the others wait for a slot
    go_on.set()
    for thread in threads:
        thread.join(5)
    assert sorted(ran) == ["a", "b", "c", "d", "e"]
    if slots == 1:  # one at a time: each slot given back went to the longest waiting
        assert ran == ["a", "b", "c", "d", "e"]


def test_a_request_that_steps_aside_lets_the_next_one_in() -> None:
    gate, ran, order = Gate(slots=1, wait_s=10), [], threading.Event()
    with gate.inside():
        waiting = _queue_up(gate, ["next"], ran, order)
        assert ran == []
        gate.step_aside()  # a long download: its slot goes to the request waiting
        time.sleep(0.1)
        assert ran == ["next"]
        gate.step_aside()  # twice changes nothing: the slot was given once
    order.set()
    waiting[0].join(5)
    with gate.inside():  # every slot came back
        pass


def test_a_slot_held_by_a_hung_request_delays_the_next_by_the_wait_only() -> None:
    gate, ran, never = Gate(slots=1, wait_s=0.3), [], threading.Event()
    hung = _queue_up(gate, ["hung"], ran, never)
    began = time.monotonic()
    with gate.inside():
        waited = time.monotonic() - began
    assert 0.25 < waited < 2
    never.set()
    hung[0].join(5)
    with gate.inside():  # the request that went on without a slot gave none back it did not take
        assert not _slot_free(gate)


@pytest.mark.parametrize("request_headers, answer_length, steps_aside", [
    ({"CONTENT_LENGTH": "7400"}, "512", False),                  # a check-in
    ({}, "900", False),                                         # a page
    ({"CONTENT_LENGTH": str(50 << 20)}, "120", True),            # a blob upload
    ({"HTTP_TRANSFER_ENCODING": "chunked"}, "120", True),         # a body of a length not told
    ({}, str(500 << 20), True),                                 # a bundle download
    ({}, None, True),                                           # a streamed answer
])
def test_the_hub_gives_its_slot_up_for_a_long_body_or_answer(monkeypatch, request_headers, answer_length,
                                                            steps_aside) -> None:
    gate = Gate(slots=1, wait_s=0.2)
    monkeypatch.setattr(wsgi_server, "GATE", gate)
    seen: list[bool] = []

    def hub_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Length", answer_length)] if answer_length else [])
        seen.append(_slot_free(gate))  # as gunicorn sends the body
        return [b""]

    app = wsgi_server.ByLocalPort(hub_app, hub_app, (8444,), "airlift.panel_port")
    with gate.inside():
        app({"gunicorn.socket": _Socket(8443), **request_headers}, lambda *a: None)
    assert seen == [steps_aside]


def test_a_panel_port_request_gives_its_slot_up(monkeypatch) -> None:
    gate = Gate(slots=1, wait_s=0.2)
    monkeypatch.setattr(wsgi_server, "GATE", gate)
    seen: list[bool] = []

    def gateway(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(_slot_free(gate))
        return []

    with gate.inside():
        wsgi_server.ByLocalPort(gateway, gateway, (8444,), "airlift.panel_port")(
            {"gunicorn.socket": _Socket(8444), "CONTENT_LENGTH": "10"}, lambda *a: None)
    assert seen == [True]


class _Socket:
    def __init__(self, port: int) -> None:
        self.port = port

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


def _slot_free(gate: Gate) -> bool:
    """Whether another thread gets a slot at once."""
    got: list[float] = []

    def probe() -> None:
        began = time.monotonic()
        with gate.inside():
            got.append(time.monotonic() - began)

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(5)
    return got[0] < 0.1
