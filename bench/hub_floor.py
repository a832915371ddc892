"""The floor of bench/hub_bench.py's check-ins: the same simulated sites sending the same signed
documents over the same TLS (an ECDSA P-256 certificate made as the hub makes its own, TLS 1.2 at
least, one session ticket a handshake, one context for every connection) to a server that does
none of the hub's work. It is Python's own threaded HTTP server: it reads each request's body
whole, throws it away and answers a fixed `{"taken": true}` on a connection that then closes.

What the hub's figures are divided by: on a host where the clients, the hub and PostgreSQL share
the cores, the floor says how many check-ins per second the transport alone leaves room for, so a
hub figure reads as a share of what this host can do at all.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.queues import Queue
from pathlib import Path

from installer.tls import ensure_self_signed

ANSWER = b'{"taken": true}'
BACKLOG = 128  # gunicorn's default is 2048; 16 clients never queue more than 16


class _Discard(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
        """No access log: the floor does nothing a hub would not."""

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(201 if self.path == "/api/v1/sites" else 200)
        for name, value in (("Content-Type", "application/json"), ("Content-Length", str(len(ANSWER))),
                            ("Connection", "close")):
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(ANSWER)
        self.close_connection = True


class _TlsServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = BACKLOG
    context: ssl.SSLContext

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = self.socket.accept()
        return self.context.wrap_socket(sock, server_side=True), address


def _serve(cert: str, key: str, port: Queue) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the bench's own handler raises: stop quietly instead
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.num_tickets = 1
    context.load_cert_chain(cert, key)
    server = _TlsServer(("127.0.0.1", 0), _Discard)
    server.context = context
    port.put(server.server_address[1])
    server.serve_forever()


@dataclass(frozen=True)
class Floor:
    url: str
    fingerprint: str  # hex, as bench/hub_sites.py pins it
    pid: int


@contextmanager
def running_floor(folder: Path) -> Iterator[Floor]:
    """The floor server in a process of its own (its CPU is counted apart), stopped at the end."""
    cert = ensure_self_signed(folder / "floor.pem", folder / "floor.key", "127.0.0.1", "airlift bench floor")
    ctx = multiprocessing.get_context("fork")
    port: Queue = ctx.Queue()
    proc = ctx.Process(target=_serve, args=(str(cert.cert_path), str(cert.key_path), port), daemon=True)
    proc.start()
    try:
        assert proc.pid is not None
        yield Floor(f"https://127.0.0.1:{port.get(timeout=30)}", cert.fingerprint, proc.pid)
    finally:
        proc.terminate()
        proc.join(timeout=10)
