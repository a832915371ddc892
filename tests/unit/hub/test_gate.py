"""Only a few of the hub's requests run the application at once (hub/gate.py), let in first come,
first served; a long upload or a panel request runs outside the gate, and an answer's body is sent
outside it (hub/wsgi_server.py); a slot held by a request that hangs delays the others by at most
the gate's wait, never stops them. The worker closes a connection not kept alive on the thread that
served it, and counts it out."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from gunicorn import glogging
from gunicorn.config import Config
from gunicorn.workers.gthread import TConn

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


@pytest.mark.parametrize("environ, in_a_slot", [
    ({"SERVER_PORT": "8443", "CONTENT_LENGTH": "7400"}, True),                 # a check-in
    ({"SERVER_PORT": "8443"}, True),                                           # a page, a download's start
    ({"SERVER_PORT": "8443", "CONTENT_LENGTH": str(50 << 20)}, False),         # a blob upload
    ({"SERVER_PORT": "8443", "HTTP_TRANSFER_ENCODING": "chunked"}, False),     # a body of a length not told
    ({"SERVER_PORT": "8444", "CONTENT_LENGTH": "10"}, False),                  # a panel port's long-poll
])
def test_the_application_runs_in_a_slot_unless_it_waits_on_its_client_or_a_site(monkeypatch, environ,
                                                                                 in_a_slot) -> None:
    gate = Gate(slots=1, wait_s=0.2)
    monkeypatch.setattr(wsgi_server, "GATE", gate)
    seen: list[bool] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(_slot_free(gate))
        return [b""]

    wsgi_server.ByLocalPort(app, app, (8444,), "airlift.panel_port")(environ, lambda *a: None)
    assert seen == [not in_a_slot]


def test_an_answers_body_is_sent_outside_the_slot(monkeypatch) -> None:
    gate = Gate(slots=1, wait_s=0.2)
    monkeypatch.setattr(wsgi_server, "GATE", gate)
    seen: list[bool] = []

    def download(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Length", str(500 << 20))])
        seen.append(_slot_free(gate))  # as gunicorn sends each chunk
        yield b"x"

    body = wsgi_server.ByLocalPort(download, download, (), "airlift.panel_port")({"SERVER_PORT": "8443"}, lambda *a: None)
    assert list(body) == [b"x"] and seen == [True]


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


def _worker() -> wsgi_server.ClosingThreadWorker:
    """The hub's worker as its process starts it, up to its main loop: a thread pool and the
    queue back to the main thread; serving a plain HTTP app."""
    cfg = Config()
    worker = wsgi_server.ClosingThreadWorker(0, os.getpid(), [], None, 30, cfg, glogging.Logger(cfg))

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]
    worker.wsgi = app
    worker.tpool = worker.get_thread_pool()
    worker.method_queue.init()
    return worker


def _serve(worker: wsgi_server.ClosingThreadWorker, request: bytes) -> tuple[socket.socket, bytes]:
    """Send `request` on a new connection to `worker`, as its main loop hands one over; the
    client's end and the answer."""
    ours, theirs = socket.socketpair()
    ours.sendall(request)
    worker.nr_conns += 1  # as gunicorn's accept() counts it
    worker.enqueue_req(TConn(worker.cfg, theirs, ("127.0.0.1", 50000), ("127.0.0.1", 8443)))
    ours.settimeout(5)
    answer = b""
    while not answer.endswith(b"ok") and (chunk := ours.recv(4096)):  # the head and the body come in two writes
        answer += chunk
    return ours, answer


def test_a_connection_not_kept_alive_is_closed_by_its_thread_and_counted_out() -> None:
    worker = _worker()
    for _ in range(20):
        ours, answer = _serve(worker, b"GET / HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200 OK")
        assert ours.recv(1) == b""  # closed
        ours.close()
    worker.tpool.shutdown(wait=True)
    assert worker.nr_conns == 0  # else the worker stops accepting after worker_connections of them
    assert worker.method_queue._queue.empty()  # the main thread was not woken for them


def test_a_kept_alive_connection_goes_back_to_the_main_thread() -> None:
    worker = _worker()
    ours, answer = _serve(worker, b"GET / HTTP/1.1\r\nHost: hub\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK")
    worker.tpool.shutdown(wait=True)
    assert worker.nr_conns == 1 and not worker.method_queue._queue.empty()  # to wait in its poller for the next request
    ours.close()


def test_the_count_of_connections_misses_no_close_made_while_gunicorn_counts() -> None:
    worker = _worker()
    worker.nr_conns = 3
    seen = worker.nr_conns  # gunicorn's `nr_conns += 1`: a read ...
    worker._closed.append(object())  # ... a request thread closes one meanwhile ...
    worker.nr_conns = seen + 1  # ... and the write
    assert worker.nr_conns == 3
