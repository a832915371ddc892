"""How a browser front-end (the wizard, wizard/server.py; the control panel, panel/main.py) is put
on the network: bound over TLS with the install's certificate, logged without request lines, and
served until SIGINT or SIGTERM. The front-ends bring their WSGI app; this module never imports
Flask, so the engine stays free of it."""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from werkzeug.serving import BaseWSGIServer, make_server

from installer.errors import AirliftError
from installer.tls import Certificate

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


def bind_https(app: WSGIApplication, host: str, port: int, cert: Certificate, *, who: str, hint: str) -> BaseWSGIServer:
    """Bind first, so a taken port or a foreign address is an AirliftError naming `who` (with
    `hint`), not werkzeug's exit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        listener = socket.create_server((host, port), family=family, backlog=64)
    except OSError as exc:
        raise AirliftError(f"{who} cannot listen on {host}:{port}: {exc.strerror or exc}", hint=hint) from exc
    with listener:
        return make_server(host, port, app, threaded=True, ssl_context=(str(cert.cert_path), str(cert.key_path)),
                           fd=listener.fileno())


def serve_until_stopped(server: BaseWSGIServer, started: Callable[[], None] = lambda: None) -> KeyboardInterrupt | None:
    """Call `started`, then serve until SIGINT or SIGTERM, which installer.stopping turns into
    KeyboardInterrupt (Terminated for SIGTERM): serve_forever catches it and closes the socket; one
    that arrives outside serve_forever is caught here and returned (None when serve_forever ended
on its own)."""
    try:
        started()
        server.serve_forever()
    except KeyboardInterrupt as stop:
        server.server_close()
        return stop
    return None


def log_to(log: logging.Logger, path: Path, *, echo: bool = False) -> None:
    """`log` (refusals, sign-ins, actions) goes to `path`, in a 0700 folder, and to stderr when
    `echo`; werkzeug's request lines, which carry tokens, go nowhere."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    handlers: list[logging.Handler] = [logging.FileHandler(path)]
    if echo:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
        log.addHandler(handler)
    log.setLevel(logging.INFO)
