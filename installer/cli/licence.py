"""`./install licence apply FILE`: on the first master, replace the site's licence with a new one
the vendor issued, after the install's checks (signed by the installed version's licence key, for
this application, not expired, allowing at least the nodes installed). The change is written to
the install's events, so the site's history shows when its licence changed."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from installer import site_licence
from installer.errors import AirliftError
from installer.events import EventBus, EventLog
from installer.statedir import StateDir
from installer.statelock import StateLock
from installer.upgrade.installed import Installed, find_installed

from .commands import require_root, state_dir


def cmd_licence(args: argparse.Namespace, console: Console) -> int:
    require_root("apply a licence")
    folder = state_dir(args)
    installed = _installed(folder)
    data = site_licence.read_file(Path(args.file))
    with StateLock(folder):
        licence = site_licence.apply(folder, data, args.file, installed.name, len(installed.nodes))
        bus = EventBus()
        bus.attach_log(EventLog(StateDir(folder).events))
        bus.log_line(f"Licence applied from {args.file}: {licence.describe()}")
    console.print(f"Licence applied: {licence.describe()}.", highlight=False, markup=False, emoji=False)
    console.print(f"{len(installed.nodes)} of {licence.max_nodes} node(s) in use; ./install status shows it.",
                  highlight=False)
    return 0


def _installed(folder: Path) -> Installed:
    """The completed install a licence is applied to, with a hint that fits this command."""
    try:
        return find_installed(folder)
    except AirliftError as exc:
        raise AirliftError(exc.message, details=exc.details,
                           hint="run ./install licence apply as root on the first master of a completed install "
                                "(with --state-dir if the install used another state directory)") from None
