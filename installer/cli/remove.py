"""`./install remove NODE`: ask the cluster controller to take a node out, and show it happening.

The work runs in the controller (the airlift-cluster service on the first master), so it goes on
and is recorded even if this terminal closes. This command is its client: it calls `operate` on
the agent API at 127.0.0.1 with the admin token and the certificate from the state folder (both
only on the first master), then polls `operation` and draws the events until the operation ends.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console

from installer.cluster_service.client import controller_client
from installer.errors import AirliftError
from installer.events import Event
from installer.installer_copy import launcher_path
from installer.node_agent.client import AgentClient, ConnectionLost
from installer.services.names import CONTROLLER
from installer.statedir import DEFAULT_STATE_DIR

from .commands import declined, require_root, root, state_dir
from .render import TerminalRenderer

POLL_S = 0.5


def cmd_remove(args: argparse.Namespace, console: Console) -> int:
    require_root("remove a node")
    node, force, folder = args.node, bool(getattr(args, "force", False)), state_dir(args)
    client = controller_client(folder)
    stop = declined(args, console, f"Drain node {node}, remove Kubernetes and Airlift from it and delete it from the "
                                   f"cluster{' (forced)' if force else ''}?", "Nothing removed.")
    if stop is not None:
        return stop
    try:
        operation = client.call("operate", {"operation": "remove", "node": node, "force": force})["id"]
        events = follow(client, operation, TerminalRenderer(console))
    except ConnectionLost as exc:
        raise not_running(folder, root(args), str(exc)) from exc
    print_summary(node, events, console)
    return 0


def follow(client: AgentClient, operation: str, renderer: TerminalRenderer) -> list[Event]:
    """Draw the operation's events until it ends; its events, or AirliftError when it failed."""
    seen: list[Event] = []
    since = 0
    try:
        while True:
            answer = client.call("operation", {"id": operation, "since": since})
            for raw in answer["events"]:
                event = Event.from_dict(raw)
                since = max(since, event.seq)
                seen.append(event)
                renderer(event)
            if answer["state"] != "running":
                break
            time.sleep(POLL_S)
    finally:
        renderer.close()
    if answer["state"] == "failed":
        error = answer.get("error") or {}
        raise AirliftError(error.get("message") or f"The operation {operation} failed",
                           hint=error.get("hint"), details=error.get("details"))
    return seen


def not_running(folder: Path, root_dir: Path, why: str) -> AirliftError:
    supervise = f"{launcher_path(folder)} _supervise {CONTROLLER} --root {root_dir} --detach"
    return AirliftError(
        f"The cluster controller (service {CONTROLLER}) does not answer on this host",
        details=why,
        hint=f"run this on the first master; start the controller with: systemctl start {CONTROLLER} "
             f"(on a host without systemd: {supervise}), then run ./install remove again")


def print_summary(node: str, events: list[Event], console: Console) -> None:
    """What was removed, and what is left for the operator to do."""
    by_hand = any(e.data.get("clean_by_hand") == node for e in events)
    drained = not any(e.kind == "log" and e.status == "warn" and e.phase == f"/drain/{node}" for e in events)
    pods = "Its pods moved to the other nodes" if drained else "It could not be drained (its pods start again " \
        "elsewhere now that it is deleted)"
    console.print(f"[green]Node {node} was removed from the cluster.[/] {pods}; Kubernetes no longer lists it.",
                  highlight=False)
    if by_hand:
        console.print(f"[yellow]Its agent could not clean it up:[/] on {node}, as root, run "
                      f"{launcher_path(Path(DEFAULT_STATE_DIR))} uninstall --yes (or ./install uninstall from the "
                      "bundle) before reusing that host.", highlight=False)
    else:
        console.print(f"k3s and everything Airlift put on {node} were removed from it; it is as before the "
                      "install.", highlight=False)
    console.print("Next: ./install status shows the nodes left; to add a node again, run the join command "
                  "it prints on that host.", highlight=False)
