"""`install _panel --state-dir S [--root R] [--listen ADDR]`: the control panel's process, run by the
`airlift-panel` service on the first master (installer/phases/cluster_service.py installs it). It
serves HTTPS only, with the install's certificate, on the advertise address and `panel-port`,
until stopped."""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from pathlib import Path

from werkzeug.serving import make_server

from installer.errors import AirliftError
from installer.statedir import StateDir
from installer.stopping import Terminated, handle_stop_signals
from installer.tls import ensure_certificate
from panel.app import create_app
from panel.site import Site

log = logging.getLogger("airlift.panel")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="install _panel", description="serve the installed cluster's control panel")
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--root", default="/")
    parser.add_argument("--listen", metavar="ADDR", help="the address to listen on (default: the advertise address)")
    args = parser.parse_args(argv)
    handle_stop_signals()
    site = Site(Path(args.state_dir), Path(args.root))
    _log_to(StateDir(site.state_dir).panel_log)
    try:
        return _serve(site, args.listen)
    except AirliftError as exc:  # the service's log says why; the supervisor starts it again
        print(f"Error: {exc.message}" + (f"\nWhat to do: {exc.hint}" if exc.hint else ""), file=sys.stderr)
        return 2


def _serve(site: Site, listen: str | None) -> int:
    answers = site.answers()
    if not answers.advertise_addr:
        raise AirliftError(f"No completed install in {site.state_dir}: its answers name no advertise address",
                           hint="the control panel runs on the first master once the install is done")
    host, port = listen or str(answers.advertise_addr), answers.panel_port
    cert = ensure_certificate(site.state_dir, str(answers.advertise_addr))
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        listener = socket.create_server((host, port), family=family, backlog=64)
    except OSError as exc:
        raise AirliftError(f"The control panel cannot listen on {host}:{port}: {exc.strerror or exc}",
                           hint="another program may use the port: stop it, or move the panel with panel-port "
                                "in the answers") from exc
    with listener:
        server = make_server(host, port, create_app(site), threaded=True,
                             ssl_context=(str(cert.cert_path), str(cert.key_path)), fd=listener.fileno())
    log.info("Control panel serving on https://%s:%d/ (certificate %s)", host, port, cert.fingerprint)
    try:
        server.serve_forever()
    except KeyboardInterrupt as stop:
        server.server_close()
        log.info("Stopped (%s)", "SIGTERM" if isinstance(stop, Terminated) else "SIGINT")
    return 0


def _log_to(path: Path) -> None:
    """Sign-ins, refusals and actions go to the panel's log and the service's output; request lines
    (a sign-in link carries its token) go nowhere."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    for handler in (logging.FileHandler(path), logging.StreamHandler(sys.stderr)):
        handler.setFormatter(formatter)
        log.addHandler(handler)
    log.setLevel(logging.INFO)
