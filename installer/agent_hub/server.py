"""The agent API: HTTPS with the stdlib (the engine never imports Flask), join token required.

Agents POST JSON to /v1/agent/<action> (join, poll, events, result) with
`Authorization: Bearer <join token>`. A wrong token gets 401 and a warning naming the client's
address, never the token. The certificate is the installer's own (installer.tls); agents pin its
fingerprint, which the join command carries.
"""

from __future__ import annotations

import json
import ssl
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


class AgentApi(Protocol):
    """What the server needs from the hub behind it."""

    token: str
    actions: tuple[str, ...]

    def handle(self, action: str, body: dict, client: str) -> dict: ...

    def refused(self, client: str) -> None: ...


class AgentServer:
    """Serves `api` on (address, port) over TLS with the given certificate."""

    def __init__(self, api: AgentApi, address: str, port: int, cert: Path, key: Path) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        try:
            self._httpd = QuietServer((address, port), _handler_for(api))
        except OSError as exc:
            raise AirliftError(f"The installer cannot listen for nodes on {address}:{port}: {exc.strerror or exc}",
                               hint="another program may use the port; choose another with agent-port "
                                    "in the answers (--agent-port)") from exc
        self._httpd.use_tls(context)
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

    def do_POST(self) -> None:
        client = self.client_address[0]
        if not bearer_matches(self.hub.token, self.headers.get("Authorization")):
            self.hub.refused(client)
            self.reply_json(HTTPStatus.UNAUTHORIZED, {"error": "the join token is not valid for this installer"})
            return
        action = self.path.removeprefix(PREFIX)
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
