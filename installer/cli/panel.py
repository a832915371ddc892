"""The control panel's commands, run as root on the first master: `./install panel-link` prints a
one-time sign-in link, `./install panel-password` sets or changes the admin password, and the
install asks for that password (`--panel-password-file FILE`, else a prompt on a terminal).

The panel itself is the `airlift-panel` service (panel/); these only write what it reads in
`<state>/panel/` (installer/panel_access).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from installer import answers as answers_mod
from installer.errors import AirliftError
from installer.panel_access import LINK_SECONDS, hash_password, make_link_token, save_password
from installer.panel_access.address import panel_url
from installer.plan import PlanStore
from installer.statedir import StateDir
from installer.tls import saved_fingerprint

from .commands import require_root, state_dir
from .typed import typed_secret

if TYPE_CHECKING:
    from installer.engine import Engine


def cmd_panel_link(args: argparse.Namespace, console: Console) -> int:
    require_root("make a sign-in link for the control panel")
    folder = state_dir(args)
    answers = _installed(folder)
    token = make_link_token(folder)
    url = panel_url(str(answers.advertise_addr), answers.panel_port, f"/link?token={token}")
    console.print(f"Open this link to sign in to the control panel (it works once, for {LINK_SECONDS // 60} "
                  "minutes):", highlight=False)
    console.print(f"  {url}", highlight=False, soft_wrap=True, markup=False, emoji=False)
    fingerprint = saved_fingerprint(folder)
    if fingerprint:
        console.print("Certificate fingerprint (SHA-256), to compare with the one the browser shows:",
                      highlight=False)
        console.print(f"  {fingerprint}", highlight=False, markup=False, emoji=False)
    return 0


def cmd_panel_password(args: argparse.Namespace, console: Console) -> int:
    require_root("set the control panel's password")
    folder = state_dir(args)
    _installed(folder)
    password = read_password(getattr(args, "panel_password_file", None))
    if password is None:
        raise AirliftError("No password was given, so the control panel's password is unchanged",
                           hint="run ./install panel-password on a terminal, or give --panel-password-file FILE")
    save_password(folder, hash_password(password))
    console.print("The control panel's admin password is set; browsers signed in stay signed in until they "
                  "sign out.", highlight=False)
    return 0


def ask_install_password(engine: Engine, args: argparse.Namespace, console: Console) -> None:
    """At install: the file's password, else one asked on a terminal (empty: none, sign in by
    link); without a terminal and a file, none."""
    password = read_password(getattr(args, "panel_password_file", None))
    if password is None:
        console.print("No control panel password was chosen: sign in to it with the link that "
                      "./install panel-link prints on this host.", highlight=False)
        return
    engine.set_panel_password(password)


def read_password(file: str | None) -> str | None:
    """The password in `file` (its first line), else asked twice on a terminal; None when there is
    neither, or the operator typed none."""
    if file:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise AirliftError(f"Cannot read the password file {file}: {exc.strerror}",
                               hint="give a file holding the password on its first line") from exc
        return text.splitlines()[0] if text else ""
    if not sys.stdin.isatty():
        return None
    first = typed_secret("Control panel admin password (at least 10 characters; empty: none): ")
    if not first:
        return None
    if typed_secret("The same password again: ") != first:
        raise AirliftError("The two passwords differ", hint="run the command again and type the same password twice")
    return first


def _installed(folder: Path) -> answers_mod.Answers:
    """The answers of the completed install in `folder`; refused when there is none."""
    plan = PlanStore(folder).load()
    paths = StateDir(folder)
    if plan is None or plan.state != "completed" or not paths.answers.is_file():
        raise AirliftError(f"No completed install in {folder}: the control panel runs once the install is done",
                           hint="run this on the first master (the host the install ran on), with --state-dir if "
                                "the install used another state folder")
    return answers_mod.saved(paths.answers)
