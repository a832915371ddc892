"""`./install` without --cli: serve the wizard over TLS until Ctrl-C.

It listens on the advertise address (port 61009 unless --listen says otherwise) and prints
the access link and the certificate fingerprint, so the operator can check the certificate
their browser is shown is the one this host made.
"""

from __future__ import annotations

import ipaddress
import logging
import sys
import threading
from pathlib import Path
from typing import TextIO

from installer.engine_api import EngineAPI
from installer.errors import AirliftError
from installer.host import Host
from installer.hostport import host_port
from installer.https_front import bind_https, log_to, serve_until_stopped
from installer.ports import WIZARD_PORT
from installer.statedir import StateDir
from installer.stopping import stop_signals
from installer.tls import ensure_certificate
from wizard.access import Gate
from wizard.app import create_app

log = logging.getLogger("airlift.wizard")


def parse_listen(listen: str | None, default_host: str, default_port: int = WIZARD_PORT) -> tuple[str, int]:
    """`ADDR:PORT`, `ADDR`, `:PORT` or `[V6]:PORT` -> (host, port); anything else is refused."""
    text = (listen or "").strip()
    host, port = default_host, str(default_port)
    if text.startswith("["):
        inside, _, rest = text[1:].partition("]")
        host, port = inside, rest.removeprefix(":") or port
    elif text.count(":") == 1:
        given_host, port = text.split(":")
        host = given_host or host
    elif text:
        host = text
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise AirliftError(f'--listen "{listen}": "{port}" is not a port number',
                           hint=f"give ADDR:PORT, for example --listen 10.0.0.5:{WIZARD_PORT}")
    try:
        ipaddress.ip_address(host)
    except ValueError as exc:
        raise AirliftError(f'--listen "{listen}": "{host}" is not an IP address',
                           hint=f"give an address of this host, for example --listen 10.0.0.5:{WIZARD_PORT}") from exc
    return host, int(port)


def url_for(host: str, port: int, token: str) -> str:
    return f"https://{host_port(host, port)}/?token={token}"


def serve(engine: EngineAPI, listen: str | None, state_dir: Path, *, out: TextIO | None = None,
          ready: threading.Event | None = None) -> None:
    """Serve the wizard for `engine` until Ctrl-C (or SIGTERM); the install itself keeps its state.

    listen defaults to the engine's advertise address on port 61009. `ready` is set once the
    port is bound and the link printed.
    """
    out = out or sys.stdout
    state_dir = Path(state_dir)
    host, port = parse_listen(listen, *_defaults(engine, out))
    cert = ensure_certificate(state_dir, host)
    log_to(log, StateDir(state_dir).wizard_log)
    gate = Gate()
    app = create_app(engine, {"GATE": gate, "STATE_DIR": str(state_dir)})
    server = bind_https(app, host, port, cert, who="The wizard",
                        hint="another program (or another ./install) may use the port, or the address "
                             "is not on this host; stop it or choose another with --listen ADDR:PORT")
    url_file = StateDir(state_dir).wizard_url
    _write_url(url_file, url_for(host, port, gate.token) + "\n")
    gate.on_new_token = lambda token: _announce(out, url_file, url_for(host, port, token))
    with stop_signals():  # before "Press Ctrl-C" is printed, so it holds from then on
        serve_until_stopped(server, lambda: _opened(out, ready,
                            f"Open the installer in a browser:\n  {url_for(host, port, gate.token)}\n"
                            f"Certificate fingerprint (SHA-256):\n  {cert.fingerprint}\n"
                            f"The link works once; the terminal and {url_file} show a fresh one after each use.\n"
                            "Press Ctrl-C to stop the wizard; run ./install again to continue."))
    running = (engine.snapshot().get("operation") or {}).get("status") == "running"
    print("Wizard stopped" + (" while the install was running: it is interrupted." if running else ".")
          + " Run ./install again to continue where the install left off.", file=out, flush=True)


def _defaults(engine: EngineAPI, out: TextIO) -> tuple[str, int]:
    """The advertise address and wizard port of the answers (the engine's defaults if none yet).

    Filling in the engine's defaults here also gives every screen its starting values.
    """
    answers = engine.snapshot().get("answers") or {}
    if not answers:
        try:
            engine.set_answers({})
        except AirliftError as error:
            print(f"Note: {error.message}", file=out)
        answers = engine.snapshot().get("answers") or {}
    return answers.get("advertise-addr") or "127.0.0.1", int(answers.get("wizard-port") or WIZARD_PORT)


def _opened(out: TextIO, ready: threading.Event | None, opening: str) -> None:
    print(opening, file=out, flush=True)
    if ready:
        ready.set()


def _announce(out: TextIO, url_file: Path, url: str) -> None:
    _write_url(url_file, url + "\n")
    print(f"A browser opened the wizard. For another browser, open:\n  {url}", file=out, flush=True)


def _write_url(path: Path, text: str) -> None:
    Host().write_file(path, text, mode=0o600)
