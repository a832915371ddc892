"""The floor of bench/hub_bench.py's check-ins: the same simulated sites sending the same signed
documents over the same TLS (an ECDSA P-256 certificate made as the hub makes its own, TLS 1.2 at
least, one session ticket a handshake, one context for every connection) to a server that does
none of the hub's work. It is Python's own threaded HTTP server: it reads each request's body
whole, throws it away and answers a fixed `{"taken": true}` on a connection that then closes.

What the hub's figures are divided by: on a host where the clients, the hub and PostgreSQL share
the cores, the floor says how many check-ins per second the transport alone leaves room for, so a
hub figure reads as a share of what this host can do at all.

`running_floor(..., hub_server=True)` serves the same do-nothing answer with the hub's own server
instead (hub/wsgi_server.py as `python -m hub serve` runs it: gunicorn's master and one worker, its
pool of threads, the gate, the same TLS context, its access log): what the hub's server costs
with no application behind it (bench/hub_checkin_cost.py).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from installer.tls import ensure_self_signed

ANSWER = b'{"taken": true}'
BACKLOG = 128  # gunicorn's default is 2048; 16 clients never queue more than 16


class _Discard(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
        """No access log: the floor does nothing a hub would not."""

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(_status(self.path))
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


def _status(path: str) -> HTTPStatus:
    """An enrollment's answer is 201, a check-in's 200, as the hub's."""
    return HTTPStatus.CREATED if path == "/api/v1/sites" else HTTPStatus.OK


def _discard(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """_Discard's answer as a WSGI application, for the hub's server."""
    environ["wsgi.input"].read()
    status = _status(environ["PATH_INFO"])
    start_response(f"{status.value} {status.phrase}",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(ANSWER)))])
    return [ANSWER]


def _serve_hub(cert: str, key: str, port: Queue) -> None:
    from hub import wsgi_server
    from hub.panel_gateway import PORT_KEY
    from hub.server import bind

    sock = bind("127.0.0.1", 0, "the bench picks a free port")
    port.put(sock.getsockname()[1])
    with open(os.devnull, "w") as devnull:  # the access log, as the bench's hub writes it (running_hub)
        os.dup2(devnull.fileno(), 2)
    served = wsgi_server.ByLocalPort(_discard, _discard, (), PORT_KEY)  # the gate, as on the hub's port
    wsgi_server.run(served, wsgi_server.Listener([sock.detach()], cert, key, lambda: None, lambda: None))


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
def running_floor(folder: Path, hub_server: bool = False) -> Iterator[Floor]:
    """The floor server in a process of its own (its CPU is counted apart), stopped at the end;
    `hub_server`: the hub's server with the same do-nothing answer."""
    cert = ensure_self_signed(folder / "floor.pem", folder / "floor.key", "127.0.0.1", "airlift bench floor")
    ctx = multiprocessing.get_context("fork")
    port: Queue = ctx.Queue()
    proc = ctx.Process(target=_serve_hub if hub_server else _serve, args=(str(cert.cert_path), str(cert.key_path), port),
                       daemon=True)
    proc.start()
    try:
        assert proc.pid is not None
        yield Floor(f"https://127.0.0.1:{port.get(timeout=30)}", cert.fingerprint, proc.pid)
    finally:
        proc.terminate()
        proc.join(timeout=10)
