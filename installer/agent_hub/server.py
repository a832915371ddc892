"""The agent API: HTTPS with the stdlib (the engine never imports Flask), join token required.

Agents POST JSON to /v1/agent/<action> (join, poll, events, result) with
`Authorization: Bearer <join token>`. A wrong token gets 401 and a warning naming the client's
address, never the token. The certificate is the installer's own (installer.tls); agents pin its
fingerprint, which the join command carries. The administrative actions a hub may add (the
cluster controller's `operate`, `operation`) take the admin token instead: the join token, which
every node holds, admits a node and nothing else, so it gets 403 there. GET /metrics answers the
cluster controller's metrics to the holder of their own token (404 to anyone else, and always
during the install).
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Protocol

from installer.bearer import bearer_matches
from installer.errors import AirliftError
from installer.jsonhttp import JsonHandler, QuietServer

PREFIX = "/v1/agent/"
ACTIONS = ("join", "poll", "events", "result")  # what agents call; the cluster controller adds its own
MAX_BODY = 8 << 20
METRICS_PATH = "/metrics"


class AgentApi(Protocol):
    """What the server needs from the hub behind it."""

    token: str
    actions: tuple[str, ...]
    admin_token: str
    admin_actions: tuple[str, ...]

    def handle(self, action: str, body: dict, client: str) -> dict: ...

    def refused(self, client: str) -> None: ...

    def metrics(self, authorization: str | None) -> bytes | None:
        """The service's Prometheus metrics for whoever holds their token; None otherwise."""


class AgentServer:
    """Serves `api` on (address, port) over TLS with the given certificate."""

    def __init__(self, api: AgentApi, address: str, port: int, cert: Path, key: Path) -> None:
        try:
            self._httpd = QuietServer((address, port), _handler_for(api))
        except OSError as exc:
            raise AirliftError(f"The installer cannot listen for nodes on {address}:{port}: {exc.strerror or exc}",
                               hint="another program may use the port; choose another with agent-port "
                                    "in the answers (--agent-port)") from exc
        self._httpd.use_tls(cert, key)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> AgentServer:
        self._thread = self._httpd.serve_in_thread("airlift-agent-api")
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler_for(api: AgentApi) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        hub = api
    return Handler


class _Handler(JsonHandler):
    hub: AgentApi

    def do_GET(self) -> None:
        """GET /metrics: the cluster service's metrics, for Prometheus's bearer token alone."""
        body = self.hub.metrics(self.headers.get("Authorization")) if self.path == METRICS_PATH else None
        if body is None:
            self.reply_json(HTTPStatus.NOT_FOUND, {"error": f"nothing to get at {self.path}"})
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.finish_headers(body)

    def do_POST(self) -> None:
        client = self.client_address[0]
        action = self.path.removeprefix(PREFIX)
        if not self._authorized(action, client):
            return
        length = int(self.headers.get("Content-Length") or 0)
        if not self.path.startswith(PREFIX) or action not in self.hub.actions or length > MAX_BODY:
            self.reply_json(HTTPStatus.NOT_FOUND, {"error": f"no such agent action: {self.path}"})
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            self.reply_json(HTTPStatus.OK, self.hub.handle(action, body, client))
        except AirliftError as exc:
            self.reply_json(HTTPStatus.CONFLICT, {"error": exc.message, "hint": exc.hint})
        except (ValueError, KeyError, TypeError) as exc:
            self.reply_json(HTTPStatus.BAD_REQUEST, {"error": f"malformed {action} request: {exc}"})

    def _authorized(self, action: str, client: str) -> bool:
        """The join token for the agents' actions, the admin token for the administrative ones
        (compared in constant time); refused with a reply otherwise."""
        header = self.headers.get("Authorization")
        if action in self.hub.admin_actions:
            if bearer_matches(self.hub.admin_token, header):
                return True
            if bearer_matches(self.hub.token, header):
                self.reply_json(HTTPStatus.FORBIDDEN, {
                    "error": f"the join token admits a node and nothing else; {action} needs the admin "
                             "credential, which only the first master holds",
                    "hint": "run ./install remove as root on the first master"})
                return False
        elif bearer_matches(self.hub.token, header):
            return True
        self.hub.refused(client)
        self.reply_json(HTTPStatus.UNAUTHORIZED, {"error": "the join token is not valid for this installer"})
        return False
