"""The stdlib HTTP pieces the agent API and the blob server share.

Why stdlib http.server: the engine must not import Flask. A client hanging up mid-request is
routine on a LAN (an agent reconnects, a peer resumes elsewhere), so it is logged, never printed
as a traceback; the TLS handshake runs in the connection's own thread, so one slow client cannot
hold up the accept loop.
"""

from __future__ import annotations

import json
import logging
import ssl
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

log = logging.getLogger("installer.http")


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended: %s", client_address[0], sys.exc_info()[1])

    def use_tls(self, cert: Path, key: Path) -> None:
        """Serve HTTPS only, with this certificate and key."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(str(cert), str(key))
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def serve_in_thread(self, name: str) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name=name, daemon=True)
        thread.start()
        return thread


class JsonHandler(BaseHTTPRequestHandler):
    """A handler that answers JSON, logging requests at debug level only."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.client_address[0], format % args)

    def reply_json(self, status: HTTPStatus, payload: dict) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.finish_headers(json.dumps(payload).encode())

    def finish_headers(self, body: bytes) -> None:
        """Length, end of headers, then `body` (none for a HEAD request)."""
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
