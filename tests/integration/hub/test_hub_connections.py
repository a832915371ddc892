"""The hub's server under clients that misbehave on their connection's end."""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from hub.wsgi_server import HEAD_TIMEOUTS, THREADS
from installer.transfer.pins import connect_pinned
from tests.integration.hub.conftest import HubProcess, prepare_hub, running_hub

HELD = 4  # clients in a row that never close their end
TIMEOUT_S = 2  # the hub's --client-timeout in these tests
STALLED = THREADS + 8  # more clients stopped half way than the hub has threads


@pytest.fixture
def impatient_hub(hub_database_url: str, tmp_path: Path) -> Iterator[HubProcess]:
    data = tmp_path / "hub-data"
    with running_hub(data, hub_database_url, prepare_hub(data, hub_database_url),
                     "--client-timeout", str(TIMEOUT_S)) as hub:
        yield hub


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


def _connected(hub: HubProcess) -> socket.socket:
    address = urlsplit(hub.url)
    return socket.create_connection((address.hostname, address.port), timeout=TIMEOUT_S * 10)


def _tls(hub: HubProcess) -> ssl.SSLSocket:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # what is sent matters here, not to whom
    return context.wrap_socket(_connected(hub))


def _stopped_half_way(hub: HubProcess, where: str) -> socket.socket:
    """A client that stops in its TLS handshake (one byte of it sent) or in its request's head."""
    if where == "handshake":
        raw = _connected(hub)
        raw.sendall(b"\x16")  # the first byte of a TLS handshake record
        return raw
    tls = _tls(hub)
    tls.sendall(b"GET /api/v1/ping HTTP/1.1\r\nHost: hub\r\n")  # the head's blank line never comes
    return tls


@pytest.mark.parametrize("where", ["handshake", "request"])
def test_clients_that_stop_half_way_are_dropped_and_hold_nobody_up(impatient_hub: HubProcess, where: str) -> None:
    """More clients than the hub has threads, each stopped in the middle of its handshake or
    request: the hub drops each after --client-timeout of silence and answers everyone else (it
    answered no one while they held every thread, for as long as they liked)."""
    stalled = [_stopped_half_way(impatient_hub, where) for _ in range(STALLED)]
    time.sleep(0.5)  # they are on the hub's threads
    began = time.monotonic()
    conn = connect_pinned(impatient_hub.url, impatient_hub.fingerprint.removeprefix("SHA256:"), 30, 30)
    conn.request("GET", "/api/v1/ping")
    assert conn.getresponse().status == 200
    assert time.monotonic() - began < TIMEOUT_S * 3, f"answered after {time.monotonic() - began:.1f} s"
    for client in stalled:
        try:
            assert client.recv(100) == b"", "the hub answered a request it never had whole"
        except (ConnectionResetError, ssl.SSLEOFError):
            pass  # dropped, as it should be
        client.close()


def test_a_slow_client_that_keeps_sending_is_served(impatient_hub: HubProcess) -> None:
    """A head sent in parts within its time, then a body sent in parts for longer than that (a
    slow link uploading): each part within the silence timeout, so the request is answered
    however long its body takes."""
    body = b"x" * 40
    with _tls(impatient_hub) as tls:
        tls.sendall(b"POST /api/v1/sites HTTP/1.1\r\nHost: hub\r\n")
        time.sleep(TIMEOUT_S * 0.6)
        tls.sendall(b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
        for start in range(0, len(body), 10):  # 4 parts: longer than the head's whole time
            time.sleep(TIMEOUT_S * 0.6)
            tls.sendall(body[start:start + 10])
        assert tls.recv(100).startswith(b"HTTP/1.1 400 ")  # read whole, and refused: not a signed document


def test_a_head_sent_a_byte_at_a_time_is_dropped_at_its_deadline(impatient_hub: HubProcess) -> None:
    """A client never silent for the timeout, but whose head never ends (a byte every half
    timeout), is dropped once the head has taken HEAD_TIMEOUTS timeouts; it held its thread for
    as long as it liked."""
    with _tls(impatient_hub) as tls:
        tls.sendall(b"GET /api/v1/ping HTTP/1.1\r\n")
        tls.setblocking(False)  # readable may be a TLS session ticket alone: no data to wait for
        began, ended = time.monotonic(), b"not yet"
        while ended == b"not yet" and time.monotonic() - began < TIMEOUT_S * HEAD_TIMEOUTS * 3:
            tls.sendall(b"X")
            if select.select([tls], [], [], TIMEOUT_S / 2)[0]:
                try:
                    ended = tls.recv(100)
                except ssl.SSLWantReadError:
                    continue
                except (ConnectionResetError, BrokenPipeError, ssl.SSLEOFError):
                    ended = b""
        dropped_after = time.monotonic() - began
    assert ended != b"not yet", f"the hub still held a head sent a byte at a time after {dropped_after:.1f} s"
    assert ended == b"", f"the hub answered a head it never had whole: {ended!r}"
    assert dropped_after < TIMEOUT_S * (HEAD_TIMEOUTS + 1), f"dropped after {dropped_after:.1f} s"


def test_the_logs_written_to_a_file_keep_every_line_whole(hub_database_url: str, tmp_path: Path) -> None:
    """`serve 2> hub.log`: the access log and the warnings share that file without overwriting
    each other's lines (the access log opened /dev/stderr again, at its own offset, and the
    warnings written through the shell's descriptor landed over its lines)."""
    data, log = tmp_path / "hub-data", tmp_path / "hub.log"
    with log.open("w") as stderr, running_hub(data, hub_database_url, prepare_hub(data, hub_database_url),
                                              "--client-timeout", "1", stderr=stderr) as hub:
        session = hub.session()
        for _ in range(3):
            for _ in range(5):
                assert session.get(f"{hub.url}/api/v1/ping", timeout=10).status_code == 200
            silent = _stopped_half_way(hub, "request")
            assert silent.recv(10) == b""  # dropped after 1 s, with a warning
            silent.close()
    lines = log.read_text().splitlines()
    pings = [line for line in lines if '"GET /api/v1/ping HTTP/1.1" 200' in line]
    warnings = [line for line in lines if "went silent" in line]
    assert len(pings) >= 15 and all(line.startswith("127.0.0.1 - - [") for line in pings), lines
    assert len(warnings) == 3 and all(line.endswith("holding the hub's threads on purpose.") for line in warnings), lines
