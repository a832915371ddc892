"""`install _panel --state-dir S [--root R] [--listen ADDR]`: the control panel's process, run by the
`airlift-panel` service on the first master (installer/phases/cluster_service.py installs it). It
serves HTTPS only, with the install's certificate, on the advertise address and `panel-port`,
until stopped."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from installer.errors import AirliftError
from installer.https_front import bind_https, log_to, serve_until_stopped
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
    log_to(log, StateDir(site.state_dir).panel_log, echo=True)
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
    server = bind_https(create_app(site), host, port, cert, who="The control panel",
                        hint="another program may use the port: stop it, or move the panel with panel-port "
                             "in the answers")
    log.info("Control panel serving on https://%s:%d/ (certificate %s)", host, port, cert.fingerprint)
    stop = serve_until_stopped(server)
    if stop is not None:
        log.info("Stopped (%s)", "SIGTERM" if isinstance(stop, Terminated) else "SIGINT")
    return 0

