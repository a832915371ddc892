"""What each `./install` command does: build the engine (or read the state), render the outcome."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from rich.console import Console

from installer import answers as answers_mod
from installer.bundle import Bundle, describe_base
from installer.errors import AirliftError
from installer.events import EventBus
from installer.host import Host
from installer.installer_copy import STATE_ENV
from installer.plan import PlanStore, build_install_plan
from installer.ports import AGENT_PORT
from installer.services import manager_for
from installer.statedir import DEFAULT_STATE_DIR
from installer.statelock import StateLock

from .render import TerminalRenderer
from .reports import checks_table, plan_table, print_status, print_summary
from .typed import typed_line, typed_secret

if TYPE_CHECKING:  # imported late at run time: a plain `status` need not load them
    from installer.engine import Engine
    from installer.manifest import Manifest

BUNDLE_ENV = "AIRLIFT_BUNDLE_DIR"


class ServeWizard(Protocol):
    """Serves the browser wizard for `engine` until Ctrl-C (wizard.serve)."""

    def __call__(self, engine: Engine, listen: str | None, state_dir: Path) -> None: ...


def bundle_dir() -> Path:
    """The unpacked bundle: $AIRLIFT_BUNDLE_DIR (set by the launcher), else the folder holding the
    entry point (or one of its parents), else the current folder."""
    if os.environ.get(BUNDLE_ENV):
        return Path(os.environ[BUNDLE_ENV])
    entry = Path(sys.executable if getattr(sys, "frozen", False) else sys.argv[0]).resolve()
    for folder in [entry.parent, *entry.parent.parents][:4]:
        if (folder / "index.json").exists():
            return folder
    return Path.cwd()


def needed_bundle(action: str) -> Path:
    """The bundle folder; run from the installer an install kept in its state folder (which
    carries no bundle), a clear refusal saying where to run the command instead."""
    folder = bundle_dir()
    kept_for = os.environ.get(STATE_ENV)
    if kept_for and not (folder / "index.json").is_file():
        raise AirliftError(f"The installer kept in {kept_for} shows status and uninstalls; to {action} "
                           "it needs the bundle",
                           hint="run ./install from the folder the bundle tarball unpacked to (unpack the "
                                "tarball again if that folder was deleted)")
    return folder


def confirmed(console: Console, question: str) -> bool:
    """The operator's answer to a yes/no `question`; anything but y or yes is no. Ctrl-C raises
    KeyboardInterrupt however soon after the question it comes (installer/cli/typed.py)."""
    console.print(f"{question} \\[y/N] ", end="")
    return typed_line().strip().lower() in ("y", "yes")


DECLINED_EXIT = 1
INTERRUPTED_EXIT = 130  # Ctrl-C, as a shell reports it


def declined(args: argparse.Namespace, console: Console, question: str, unchanged: str) -> int | None:
    """None when the command goes on: --yes, no terminal (nothing is asked), or the operator said
    yes to `question`. Else `unchanged` is printed and the exit code returned: DECLINED_EXIT for
    no, INTERRUPTED_EXIT for Ctrl-C or Ctrl-D at the question."""
    if getattr(args, "yes", False) or not sys.stdin.isatty():
        return None
    try:
        if confirmed(console, question):
            return None
    except (KeyboardInterrupt, EOFError):
        console.print(f"\nInterrupted. {unchanged}")
        return INTERRUPTED_EXIT
    console.print(unchanged)
    return DECLINED_EXIT


def require_root(action: str) -> None:
    """Refuse early, naming the exact command to run again as root."""
    if os.geteuid() != 0:
        again = shlex.join(["./install", *sys.argv[1:]])
        raise AirliftError(f"./install needs root to {action}: it writes system files and starts services",
                           hint=f"run it again as root: sudo {again}")


def file_answers(args: argparse.Namespace) -> dict:
    config = getattr(args, "config", None)
    return answers_mod.load_file(Path(config)) if config else {}


def state_dir(args: argparse.Namespace, from_file: dict | None = None) -> Path:
    """--state-dir, else the answers file's, else the one the kept installer's launcher names
    (`<state>/installer/install status` needs no flag), else the default."""
    chosen = (getattr(args, "state_dir", None) or (from_file or {}).get("state-dir")
              or os.environ.get(STATE_ENV) or DEFAULT_STATE_DIR)
    return Path(chosen).resolve()


def root(args: argparse.Namespace) -> Path:
    return Path(getattr(args, "root", None) or "/")


def _engine(args: argparse.Namespace, from_file: dict, action: str) -> Engine:
    # Imported late: `--version`, `status` and the services' supervisor start faster without it.
    from installer.engine import Engine

    return Engine(needed_bundle(action), state_dir(args, from_file), root(args))


def cmd_install(args: argparse.Namespace, console: Console, flags: dict, wizard: ServeWizard | None = None) -> int:
    require_root("install")
    from_file = file_answers(args)
    engine = _engine(args, from_file, "resume the install" if args.resume else "install")
    renderer = TerminalRenderer(console)
    engine.bus.add_sink(renderer)
    try:
        if args.resume:  # continues with the saved answers; only the waits may change
            engine.resume(overrides={k: flags[k] for k in answers_mod.TIMEOUT_KEYS if k in flags})
        elif not args.cli:
            return _wizard(engine, args, answers_mod.merged(from_file, flags), console, wizard)
        else:
            data = answers_mod.merged(from_file, flags)
            _licence(engine, args)  # refused here, before the answers may create the state directory
            engine.set_answers(data)
            if _asked_eula(engine.manifest, data, console):
                engine.set_answers({**data, "accept-eula": True})
            _ssh_secrets(engine)
            _panel_password(engine, args, console)
            _print_join_commands(engine.snapshot().get("join"), console)
            engine.start()
    finally:
        renderer.close()
    print_summary(engine.snapshot(), console)
    return 0


def _licence(engine: Engine, args: argparse.Namespace) -> None:
    """The licence file named by --licence, checked and kept for the install."""
    path = getattr(args, "licence", None)
    if path:
        from installer.site_licence import read_file

        engine.set_licence(read_file(Path(path)), path)


def _ssh_secrets(engine: Engine) -> None:
    """The passwords and key passphrases of the SSH nodes: asked on a terminal, else from the
    environment (installer.cli.ssh_secrets); paramiko is loaded only for an install."""
    from .ssh_secrets import gather

    gather(engine.resolved_answers().nodes, engine.ssh.secrets, typed_secret if sys.stdin.isatty() else None)


def _panel_password(engine: Engine, args: argparse.Namespace, console: Console) -> None:
    from .panel import ask_install_password

    ask_install_password(engine, args, console)


def _asked_eula(manifest: Manifest, data: dict, console: Console) -> bool:
    """On a terminal, show the licence not yet accepted and ask; True once accepted. Without a
    terminal nothing is asked: the engine refuses, naming --accept-eula."""
    if not manifest.eula or data.get("accept-eula") or not sys.stdin.isatty():
        return False
    console.rule(f"Licence of {manifest.name} {manifest.version}")
    console.print(manifest.eula, markup=False, highlight=False)
    console.rule()
    if not confirmed(console, "Do you accept the licence?"):
        raise AirliftError("The licence was not accepted, so nothing was installed",
                           hint="run the install again and accept it (or pass --accept-eula)")
    return True


def _print_join_commands(join: dict | None, console: Console) -> None:
    """Straight to the terminal, never through the events: the commands hold the join token."""
    if not join:
        return
    console.print("[bold]Run on each other host, as root, from the unpacked bundle:[/]", highlight=False)
    for profile, count in join["missing"].items():
        # No markup or emoji: a fingerprint holds text like ":CD:", which rich would draw as 💿.
        console.print(f"  {profile} ({count} needed):  {join['commands'][profile]}", highlight=False,
                      soft_wrap=True, markup=False, emoji=False)


def cmd_join(args: argparse.Namespace, console: Console) -> int:
    require_root("join an install")
    from installer.cli.join_token import join_token
    from installer.node_agent.main import JoinRequest, run_agent

    host, _, port = args.address.rpartition(":") if ":" in args.address else (args.address, "", "")
    req = JoinRequest(installer=host, port=int(port) if port else AGENT_PORT,
                      token=join_token(getattr(args, "token_file", None)), fingerprint=getattr(args, "fingerprint", None),
                      role=getattr(args, "role", None), advertise_addr=getattr(args, "advertise_addr", None),
                      state_dir=state_dir(args), root=root(args), stay=getattr(args, "stay", False))
    code = run_agent(req, lambda text: console.print(text, highlight=False, markup=False, emoji=False))
    if code == 0 and getattr(args, "remove_when_done", False):
        _remove_provisioned_copy(bundle_dir(), console)
    return code


def _remove_provisioned_copy(folder: Path, console: Console) -> None:
    """Remove the copy of the installer made over SSH (`/tmp/airlift.XXXXXX`), nothing else: the
    node keeps its own installer in its state folder."""
    if folder.parent != Path("/tmp") or not folder.name.startswith("airlift."):
        console.print(f"Kept {folder}: it is not a copy made over SSH.", highlight=False, markup=False)
        return
    shutil.rmtree(folder, ignore_errors=True)


def _wizard(engine: Engine, args: argparse.Namespace, data: dict, console: Console,
            serve: ServeWizard | None) -> int:
    if serve is None:
        raise AirliftError("The browser wizard is not part of this entry point (python -m installer)",
                           hint="start it with python -m wizard (the bundle's ./install includes it), "
                                "or install headless: add --cli (with --flavor or --config)")
    _licence(engine, args)
    try:
        engine.set_answers(data)
    except answers_mod.AnswersError as exc:
        console.print(f"[yellow]{exc.message}[/]\nCorrect them in the wizard.", highlight=False)
    if getattr(args, "panel_password_file", None):  # else the wizard's settings screen asks for it
        _panel_password(engine, args, console)
    serve(engine, args.listen, engine.state_dir)
    return 0


def verify_bundle(bundle: Bundle, console: Console) -> None:
    """Every file the bundle carries, against its index, with a progress bar (verify, upgrade)."""
    bus = EventBus()
    renderer = TerminalRenderer(console)
    bus.add_sink(renderer)
    try:
        bundle.verify(bus.progress(None, "bytes", f"Verifying {bundle.name} {bundle.version}"))
    finally:
        renderer.close()


def cmd_verify(args: argparse.Namespace, console: Console) -> int:
    bundle = Bundle.open(needed_bundle("verify it"))
    verify_bundle(bundle, console)
    carried = len(bundle.index.carried)
    console.print(f"[green]✓[/] Bundle {bundle.name} {bundle.version}: all {carried} files "
                  "match the index", highlight=False)
    signer = bundle.signer()
    console.print(f"  signed by key {signer.key_id}" if signer else "  not signed", highlight=False, markup=False,
                  emoji=False)
    if bundle.is_differential:
        console.print(f"  {describe_base(bundle.index)}", highlight=False, markup=False)
    return 0


def cmd_check(args: argparse.Namespace, console: Console, flags: dict) -> int:
    if getattr(args, "list", False):
        from installer.checks import describe_checks

        for check_id, description in describe_checks():
            console.print(f"{check_id:28} {description}", highlight=False)
        return 0
    from_file = file_answers(args)
    engine = _engine(args, from_file, "check this host against it")
    engine.set_answers(answers_mod.merged(from_file, flags))
    results = engine.run_checks()
    console.print(checks_table(results))
    failed = [r for r in results if r.status == "fail"]
    if failed:
        console.print(f"[red]{len(failed)} check(s) failed.[/] Fix them, or skip one with --skip-check ID.")
        return 1
    console.print("[green]This host is ready for the install.[/]")
    return 0


def cmd_plan(args: argparse.Namespace, console: Console) -> int:
    from installer.upgrade.history import last, store

    folder = state_dir(args)
    operation = last(folder)
    if operation is not None:  # the running or last upgrade or rollback, once there is one
        console.print(f"{operation.kind.capitalize()} from {operation.from_version} to {operation.to_version} "
                      f"({operation.id}):", highlight=False)
    plan = store(folder, operation).load() if operation is not None else PlanStore(folder).load()
    if plan is None:
        console.print(f"No install in {state_dir(args)} yet; this is the plan an install would run:")
        plan = build_install_plan(socket.gethostname())
    console.print(plan_table(plan))
    return 0


def cmd_status(args: argparse.Namespace, console: Console) -> int:
    from installer.status.install import install_status

    host, folder = Host(root(args)), state_dir(args)
    status = install_status(host, manager_for(host, folder), folder)
    if getattr(args, "json", False):
        # Straight to stdout: a terminal renderer would wrap long lines and break the document.
        print(json.dumps(status if status is not None else {"installed": False, "state_dir": str(folder)}, indent=1))
        return 0 if status is not None and status["healthy"] else 1
    if status is None:
        console.print(f"Nothing is installed with the state directory {folder}.")
        return 1
    return 0 if print_status(status, console) else 1


def cmd_uninstall(args: argparse.Namespace, console: Console) -> int:
    require_root("uninstall")
    from installer.uninstall import uninstall

    folder = state_dir(args)
    stop = declined(args, console, f"Remove the application, Kubernetes, the registry and {folder}?", "Nothing removed.")
    if stop is not None:
        return stop
    bus = EventBus()
    renderer = TerminalRenderer(console)
    bus.add_sink(renderer)
    host = Host(root(args))
    if folder.is_dir():
        with StateLock(folder):
            uninstall(host, manager_for(host, folder), folder, bus)
    else:
        uninstall(host, manager_for(host, folder), folder, bus)
    console.print("[green]Uninstalled.[/] The host is as it was before the install.")
    return 0
