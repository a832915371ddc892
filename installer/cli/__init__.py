"""The terminal front-end of the installer: parse the command line, run it, map errors to exits.

Expected problems (AirliftError) print their message and what to do, without a traceback, and
exit 2 (1 for a failed check or bundle verification). Anything else is a bug: "internal error"
and the path of the log that holds the traceback.

The browser wizard is a front-end of its own (wizard/): the engine never imports it. Whoever
starts the installer with a wizard plugs it in (`main(argv, wizard=serve)`): the frozen entry
packaging/airlift_entry.py and, from the sources, `python -m wizard`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from rich.console import Console

from installer.errors import AirliftError
from installer.statedir import StateDir
from installer.stopping import Terminated, handle_stop_signals

from . import commands
from .commands import ServeWizard
from .join_token import reexec_hiding_token
from .parser import answer_flags, build_parser, version_text

INTERNAL_ERROR_EXIT = 3
# What continues a command Ctrl-C stopped part way.
CONTINUE = {"": "Run ./install --resume to continue.",
            "upgrade": "Run ./install upgrade again to continue, or ./install rollback to go back."}


def main(argv: list[str] | None = None, wizard: ServeWizard | None = None) -> int:
    """Run one `./install` command; `wizard` serves the browser wizard, the default front-end
    (without it, only --cli installs)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_supervise"]:  # the frozen installer is also the service supervisor
        from installer.services.supervisor import main as supervise

        return supervise(argv[1:])
    if argv[:1] == ["_cluster"]:  # the cluster controller, run by the airlift-cluster service
        from installer.cluster_service.main import main as serve_cluster

        return serve_cluster(argv[1:])
    handle_stop_signals()  # SIGINT and SIGTERM stop the run, even when SIGINT was inherited ignored
    args = build_parser().parse_args(argv)
    if args.command == "join" and getattr(args, "token", None):
        reexec_hiding_token(argv, args.token)
    console = Console(highlight=False)
    try:
        return _dispatch(args, console, wizard)
    except AirliftError as exc:
        # emoji=False: fingerprints and digests hold text like ":CD:" that rich would draw as emoji.
        console.print(f"[red]Error:[/] {_escape(exc.message)}", highlight=False, emoji=False)
        if exc.details:
            console.print(_escape(exc.details), highlight=False, emoji=False)
        if exc.hint:
            console.print(f"[bold]What to do:[/] {_escape(exc.hint)}", highlight=False, emoji=False)
        return exc.exit_code
    except KeyboardInterrupt as stop:
        console.print("\n" + _stopped(args, stop), highlight=False)
        return 143 if isinstance(stop, Terminated) else 130
    except Exception:
        log = _write_internal_error(args)
        console.print(f"[red]Internal error[/] (a bug in the installer). The details are in {log}; "
                      "please send that file to the vendor.", highlight=False)
        return INTERNAL_ERROR_EXIT


def _dispatch(args: argparse.Namespace, console: Console, wizard: ServeWizard | None) -> int:
    if args.version:
        console.print(_version(), highlight=False)
        return 0
    flags = answer_flags(args)
    command = args.command
    if command == "verify":
        return commands.cmd_verify(args, console)
    if command == "check":
        return commands.cmd_check(args, console, flags)
    if command == "plan":
        return commands.cmd_plan(args, console)
    if command == "status":
        return commands.cmd_status(args, console)
    if command == "uninstall":
        return commands.cmd_uninstall(args, console)
    if command == "join":
        return commands.cmd_join(args, console)
    if command == "remove":
        from .remove import cmd_remove

        return cmd_remove(args, console)
    if command == "upgrade":
        from .upgrade import cmd_upgrade

        return cmd_upgrade(args, console)
    if command in ("panel-link", "panel-password"):
        from .panel import cmd_panel_link, cmd_panel_password

        return (cmd_panel_link if command == "panel-link" else cmd_panel_password)(args, console)
    if command == "rollback":
        from .rollback import cmd_rollback

        return cmd_rollback(args, console)
    if command == "report" and getattr(args, "for_hub", False):
        from .hub import cmd_report_for_hub

        return cmd_report_for_hub(args, console)
    if command == "support":
        from .support import cmd_support

        return cmd_support(args, console)
    if command == "hub":
        from .hub import cmd_hub

        return cmd_hub(args, console)
    if command == "update":
        from .update import cmd_update

        return cmd_update(args, console)
    if command == "report":
        from .report import cmd_report

        return cmd_report(args, console)
    if command == "licence":
        from .licence import cmd_licence

        return cmd_licence(args, console)
    return commands.cmd_install(args, console, flags, wizard)


def _version() -> str:
    from installer.bundle import Bundle

    try:
        bundle = Bundle.open(commands.bundle_dir())
    except AirliftError:
        return version_text(None, None)
    return version_text(bundle.name, bundle.version)


def _write_internal_error(args: argparse.Namespace) -> Path:
    """Append the traceback to the install log (or a temp file before the state exists)."""
    state = commands.state_dir(args)
    log = StateDir(state).installer_log
    if not (log.parent.is_dir() and os.access(log.parent, os.W_OK)):
        fd, name = tempfile.mkstemp(prefix="airlift-internal-error-", suffix=".log")
        os.close(fd)
        log = Path(name)
    with open(log, "a", encoding="utf-8") as f:
        f.write(f"--- internal error at {time.strftime('%Y-%m-%d %H:%M:%S')}\n{traceback.format_exc()}\n")
    return log


def _stopped(args: argparse.Namespace, stop: KeyboardInterrupt) -> str:
    said = "Stopped (SIGTERM)." if isinstance(stop, Terminated) else "Interrupted."
    next_step = CONTINUE.get(args.command or "")  # an install ("") or an upgrade carries on
    return f"{said} {next_step}" if next_step else said


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
