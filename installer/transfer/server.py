"""The blob server every node runs: its store's blobs by sha256 over HTTPS, token required.

Only HTTPS: the requests carry the join token and the answers the bundle's bytes, and the LAN may
be shared with people who must have neither. The installer's node serves with the installer's
certificate (the agents pinned it already), every other node with its own (tls.py); peers pin each
other's fingerprints as the tracker hands them out. Why stdlib http.server: the engine must not
import Flask, and a threading server moves bytes at line rate without a framework. A blob still
arriving is served too, waiting for its bytes as they land, so a node can relay a blob to the next
one while it receives it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import BinaryIO

from installer.bearer import bearer_matches
from installer.errors import AirliftError
from installer.hostport import host_port
from installer.jsonhttp import JsonHandler, QuietServer
from installer.tls import Certificate
from installer.transfer.store import BlobState, BlobStore
from installer.transfer.tracker import Tracker

log = logging.getLogger("airlift.transfer")

_BLOB = re.compile(r"^/v1/blobs/(?:sha256:)?([0-9a-f]{64})$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_TRACKER_PREFIX = "/v1/tracker/"
MAX_JSON_BODY = 1 << 20
# Bytes read from the blob per write to the TLS socket: large writes keep the cost per byte low
# (sendfile cannot send through TLS).
SEND_BLOCK = 256 << 10


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end exclusive) of a single-range `Range` header, None for the whole blob.
    Raises ValueError when the range cannot be satisfied."""
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None
    if not m.group(1):
        return max(0, size - int(m.group(2))), size
    start = int(m.group(1))
    end = min(size, int(m.group(2)) + 1) if m.group(2) else size
    if start >= size or start >= end:
        raise ValueError(f"range {header} outside 0-{size}")
    return start, end


class BlobServer:
    """Serve `store` over HTTPS with `cert` on (address, port), to requests bearing `token`; host
    the `tracker` API when given one. Port 0 picks a free port; `url_for` tells which."""

    def __init__(self, store: BlobStore, token: str, cert: Certificate, address: str = "0.0.0.0",
                 port: int = 0, tracker: Tracker | None = None, stall_timeout: float = 30.0) -> None:
        if not token:
            raise AirliftError("The blob server needs a join token.", hint="Pass the installer's join token.")
        self.store = store
        self.tracker = tracker
        self.stall_timeout = stall_timeout
        self.fingerprint = cert.fingerprint
        self._token = token
        self._httpd = QuietServer((address, port), _handler_for(self))
        self._httpd.use_tls(cert.cert_path, cert.key_path)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url_for(self, address: str) -> str:
        """This server's base URL as reachable at `address` (the node's advertise address)."""
        return f"https://{host_port(address, self.port)}"

    def token_ok(self, header: str | None) -> bool:
        return bearer_matches(self._token, header)

    def start(self) -> BlobServer:
        self._thread = self._httpd.serve_in_thread("blob-server")
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)


def _handler_for(server: BlobServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_BlobHandler):
        blob_server = server
    return Handler


class _BlobHandler(JsonHandler):
    blob_server: BlobServer

    def do_GET(self) -> None:
        self._dispatch(send_body=True)

    def do_HEAD(self) -> None:
        self._dispatch(send_body=False)

    def do_POST(self) -> None:
        if not self._authorized():
            return
        tracker = self.blob_server.tracker
        if tracker is None or not self.path.startswith(_TRACKER_PREFIX):
            self.reply_json(HTTPStatus.NOT_FOUND, {"error": "no such endpoint"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_JSON_BODY:
            self.reply_json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "body too large"})
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            result = tracker.handle(self.path[len(_TRACKER_PREFIX):], body)
        except (ValueError, KeyError, TypeError) as exc:
            self.reply_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        self.reply_json(HTTPStatus.OK, result)

    def _authorized(self) -> bool:
        if self.blob_server.token_ok(self.headers.get("Authorization")):
            return True
        self.close_connection = True
        log.warning("refused %s %s from %s: wrong or missing join token",
                    self.command, self.path, self.client_address[0])
        self.reply_json(HTTPStatus.UNAUTHORIZED, {"error": "wrong or missing join token"})
        return False

    def _dispatch(self, send_body: bool) -> None:
        if not self._authorized():
            return
        m = _BLOB.match(self.path)
        if not m:
            self.reply_json(HTTPStatus.NOT_FOUND, {"error": "no such endpoint"})
            return
        opened = self.blob_server.store.open(m.group(1))
        if opened is None:
            self.reply_json(HTTPStatus.NOT_FOUND, {"error": f"blob sha256:{m.group(1)} not here"})
            return
        with opened[0] as f:
            self._send_blob(m.group(1), f, opened[1], send_body)

    def _send_blob(self, hexd: str, f: BinaryIO, state: BlobState, send_body: bool) -> None:
        try:
            span = parse_range(self.headers.get("Range"), state.size)
        except ValueError as exc:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{state.size}")
            self.finish_headers(json.dumps({"error": str(exc)}).encode())
            return
        start, end = span or (0, state.size)
        self.send_response(HTTPStatus.PARTIAL_CONTENT if span else HTTPStatus.OK)
        if span:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{state.size}")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start))
        self.end_headers()
        if send_body:
            self._stream(hexd, f, state, start, end)

    def _stream(self, hexd: str, f: BinaryIO, state: BlobState, start: int, end: int) -> None:
        """Send bytes [start, end), waiting for a partial blob to grow; close the connection
        when it stalls or is discarded, so the receiver resumes from another peer."""
        store = self.blob_server.store
        generation = state.generation
        buffer = memoryview(bytearray(SEND_BLOCK))  # one buffer reused: no allocation per block
        pos = start
        while pos < end:
            if state.available <= pos:
                fresh = store.wait_for(hexd, pos, generation, self.blob_server.stall_timeout)
                if fresh is None or fresh.generation != generation or fresh.available <= pos:
                    self.close_connection = True
                    return
                state = fresh
                continue
            got = os.preadv(f.fileno(), [buffer[:min(end, state.available, pos + SEND_BLOCK) - pos]], pos)
            if got == 0:
                self.close_connection = True
                return
            self.wfile.write(buffer[:got])
            pos += got
