"""`install _cluster --state-dir S [--root R]`: the cluster controller's process, run by the
`airlift-cluster` service (installer/phases/cluster_service.py installs it). It serves until stopped."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from pathlib import Path

from installer.cluster_service.controller import Controller
from installer.errors import AirliftError
from installer.host import Host
from installer.stopping import Terminated, handle_stop_signals


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="install _cluster", description="serve the installed cluster's agent API")
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--root", default="/")
    args = parser.parse_args(argv)
    handle_stop_signals()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        controller = Controller(Path(args.state_dir), Host(Path(args.root)))
        controller.listen()
    except AirliftError as exc:  # the service's log says why; the supervisor starts it again
        print(f"Error: {exc.message}" + (f"\nWhat to do: {exc.hint}" if exc.hint else ""), file=sys.stderr)
        return 2
    try:
        threading.Event().wait()  # the server's threads serve until SIGTERM (or SIGINT) ends the wait
    except KeyboardInterrupt as stop:
        logging.getLogger("installer.cluster_service").info(
            "Stopped (%s)", "SIGTERM" if isinstance(stop, Terminated) else "SIGINT")
    return 0
