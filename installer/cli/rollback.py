"""`./install rollback`: take the cluster back to the version before the last upgrade.

It runs here, like the upgrade (installer/upgrade/run.py), from the bundle or from the installer
the install kept in its state folder, and draws the operation's events as it goes. Run again
after a failure or an interruption, it carries the same rollback on.
"""

from __future__ import annotations

import argparse

from rich.console import Console

from installer.events import EventBus
from installer.upgrade.history import last, unfinished
from installer.upgrade.run import rollback

from .commands import declined, require_root, root, state_dir
from .render import TerminalRenderer


def cmd_rollback(args: argparse.Namespace, console: Console) -> int:
    require_root("roll back an upgrade")
    folder = state_dir(args)
    latest = unfinished(folder) or last(folder)
    if latest is not None:
        back_to = latest.to_version if latest.kind == "rollback" else latest.from_version
        stop = declined(args, console, f"Take the cluster back to version {back_to} (its resources, images, "
                                       "runtime and installer)?", "Nothing changed.")
        if stop is not None:
            return stop
    bus = EventBus()
    renderer = TerminalRenderer(console)
    bus.add_sink(renderer)
    try:
        rollback(folder, root(args), bus)
    finally:
        renderer.close()
    latest = last(folder)
    console.print(f"[green]Rolled back:[/] version {latest.to_version if latest else ''} is installed again. "
                  "./install status shows it.", highlight=False)
    return 0
