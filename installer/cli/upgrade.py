"""`./install upgrade`: from the unpacked new bundle on the first master, show what will change,
ask, then upgrade.

Cheap refusals come first (another application, not newer, an operation running, a differential
bundle on another base or one whose left-out files the site lacks, a signer the site does not
trust without --allow-other-signer, an expired licence or none the new version accepts without
--licence FILE), then the new bundle is verified byte by byte (a differential bundle's left-out
files where the site keeps them too), then the diff is printed.
Nothing changes before the operator says yes (or passed --yes); `--dry-run` stops after the diff.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from installer.bundle import Bundle
from installer.cluster_service.kept import site_base
from installer.errors import AirliftError
from installer.events import Event, EventBus
from installer.manifest import load_manifest
from installer.signer_pin import SignerCheck, check_signer, pin_new_signer
from installer.site_licence import read_file, save
from installer.upgrade.diff import UpgradeDiff, build_diff
from installer.upgrade.installed import find_installed
from installer.upgrade.refusals import check_upgrade, continued_upgrade

from .commands import (
    DECLINED_EXIT,
    INTERRUPTED_EXIT,
    confirmed,
    needed_bundle,
    require_root,
    root,
    state_dir,
    verify_bundle,
)
from .render import TerminalRenderer


def cmd_upgrade(args: argparse.Namespace, console: Console) -> int:
    dry_run = bool(getattr(args, "dry_run", False))
    if not dry_run:
        require_root("upgrade the installed application")
    folder = state_dir(args)
    new = Bundle.open(needed_bundle("upgrade the installed application"), site_base(folder))
    allow_other_signer = bool(getattr(args, "allow_other_signer", False))
    licence_path = getattr(args, "licence", None)
    licence = (read_file(Path(licence_path)), licence_path) if licence_path else None
    try:
        diff, question = _diff(new, folder, console, allow_other_signer, licence)
    except KeyboardInterrupt:
        console.print("\nInterrupted: nothing was changed.")
        return INTERRUPTED_EXIT
    if dry_run:
        console.print("Dry run: nothing was changed.")
        return 0
    if not getattr(args, "yes", False):
        answer = _ask(question, diff, console)
        if answer != "yes":
            return INTERRUPTED_EXIT if answer == "interrupted" else DECLINED_EXIT
    # The operation engine is loaded only once the operator said yes.
    from installer.upgrade.run import upgrade

    bus = EventBus()
    renderer = TerminalRenderer(console)
    bus.add_sink(renderer)
    signer = check_signer(new, folder)
    try:
        if not signer.trusted:  # emitted before the operation's log is attached: it is written there first
            bus.emit(Event("log", "warn", signer.override_note()))
        upgrade(new.root, folder, root(args), bus, diff)
        pinned = pin_new_signer(signer, folder, f"{new.name} {new.version}")
        if pinned:
            bus.emit(Event("log", "info", pinned))
        if licence is not None:
            save(folder, licence[0])
            bus.emit(Event("log", "info", f"The licence {licence[1]} is now this site's licence"))
    finally:
        renderer.close()
    return 0


def _diff(new: Bundle, folder: Path, console: Console, allow_other_signer: bool,
          licence: tuple[bytes, str] | None) -> tuple[UpgradeDiff, str]:
    """Refuse what may not upgrade, verify the new bundle, then print what will change; the diff
    and the question to ask about it."""
    installed = find_installed(folder)
    check_upgrade(new, installed, allow_other_signer, licence)
    new.require_base()
    verify_bundle(new, console)
    _print_signer(check_signer(new, folder), console)
    diff = build_diff(new, load_manifest(new.manifest_path), installed)
    question = f"Upgrade {diff.app} {diff.from_version} → {diff.to_version}?"
    stopped = continued_upgrade(new, installed)
    if stopped is not None:
        console.print(f"The upgrade of {diff.app} from {stopped.from_version} to {stopped.to_version} stopped part "
                      f"way ({stopped.id}); this run carries it on. What still differs from the installed "
                      f"{installed.version}:", highlight=False, markup=False)
        question = f"Continue the upgrade of {diff.app} {stopped.from_version} → {stopped.to_version}?"
    console.print(diff.render(), markup=False, highlight=False, emoji=False, soft_wrap=True)
    return diff, question


def _print_signer(signer: SignerCheck, console: Console) -> None:
    console.print(signer.describe(), highlight=False, markup=False, emoji=False)
    if not signer.trusted:
        console.print(f"[yellow]Warning:[/] {escape(signer.override_note())}", highlight=False, emoji=False)


def _ask(question: str, diff: UpgradeDiff, console: Console) -> str:
    """"yes", "no" or "interrupted" (Ctrl-C); without a terminal, a refusal naming --yes."""
    if not sys.stdin.isatty():
        raise AirliftError(f"There is no terminal to ask \"{question}\" on, so nothing was changed",
                           hint="run ./install upgrade --yes to upgrade without the question "
                                "(or --dry-run to only see what would change)")
    try:
        yes = confirmed(console, question)
    except (KeyboardInterrupt, EOFError):
        console.print(f"\nInterrupted: nothing was changed; {diff.app} {diff.from_version} stays installed.")
        return "interrupted"
    if yes:
        return "yes"
    console.print(f"Nothing was changed; {diff.app} {diff.from_version} stays installed.")
    return "no"
