"""A ResumingContext (installer/transfer/pins.py), as a site's link with its hub uses it: each
new connection resumes the TLS session of the last one, and the certificate pin is checked on
every connection all the same."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from installer.tls import ensure_self_signed
from installer.transfer.pins import PinMismatch, ResumingContext, connect_pinned


class TicketServer:
    """An HTTPS server on loopback that sends one TLS 1.3 session ticket per handshake, as the hub
    does, and answers every request on a connection with 200 and then closes it."""

    def __init__(self, tmp: Path, name: str) -> None:
        cert = ensure_self_signed(tmp / f"{name}.crt", tmp / f"{name}.key", "127.0.0.1", name)
        self.fingerprint = cert.fingerprint.replace(":", "").lower()
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.num_tickets = 1
        self.context.load_cert_chain(cert.cert_path, cert.key_path)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            try:
                with self.context.wrap_socket(raw, server_side=True) as tls:
                    tls.recv(65536)
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            except OSError:
                continue


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[TicketServer, TicketServer]]:
    pair = TicketServer(tmp_path, "hub"), TicketServer(tmp_path, "other")
    yield pair
    for server in pair:
        server.sock.close()


def request(url: str, fingerprint: str, context: ssl.SSLContext) -> bool:
    """One GET on a new connection; whether its TLS session was resumed."""
    conn = connect_pinned(url, fingerprint, 5, 5, context)
    try:
        assert conn.sock is not None
        resumed = bool(conn.sock.session_reused)  # type: ignore[attr-defined]
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"ok"
    finally:
        conn.close()
    return resumed


def test_each_new_connection_resumes_the_session_of_the_last(servers):
    hub, _ = servers
    context = ResumingContext()
    assert [request(hub.url, hub.fingerprint, context) for _ in range(3)] == [False, True, True]


def test_the_pin_is_checked_on_a_connection_that_offers_a_session(servers):
    hub, other = servers
    context = ResumingContext()
    assert not request(hub.url, hub.fingerprint, context)
    with pytest.raises(PinMismatch):  # another server at the hub's address: no resumption, its certificate refused
        request(other.url, hub.fingerprint, context)
    assert request(hub.url, hub.fingerprint, context)
