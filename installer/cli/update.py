"""`./install update download [--full] [-o DIR]`: the next release from the hub, downloaded,
verified and unpacked (installer/hub_link/update_download.py), with a progress bar of the bytes
and their rate; it ends naming the command that upgrades to it, which the operator runs."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from installer.hub_link.update_choice import Choice
from installer.hub_link.update_download import Downloaded, Options, download, plan_next
from installer.services import manager_for

from .commands import require_root, state_dir
from .hub import hub_interval, installed_host


def cmd_update(args: argparse.Namespace, console: Console) -> int:
    require_root("download an update into the state directory (it signs its requests with the site's key)")
    folder = state_dir(args)
    host = installed_host(folder, args)
    out = getattr(args, "output", None)
    options = Options(Path(out).resolve() if out else None, bool(getattr(args, "full", False)),
                      bool(getattr(args, "allow_other_signer", False)))
    signed, choice = plan_next(folder, host, manager_for(host, folder), hub_interval(folder), options.full,
                               options.allow_other_signer)
    if choice is None:
        console.print("This site runs the newest release on its channel: nothing to download.", highlight=False)
        return 0
    _say_what(choice, console)
    with _bars(console, f"Downloading {choice.application} {choice.version}", "Verifying every file") as ticks:
        done = download(folder, signed, choice, options, *ticks)
    _summary(done, console)
    return 0


def _say_what(choice: Choice, console: Console) -> None:
    if choice.reason and choice.version != choice.newest:
        console.print(f"[yellow]![/] {choice.reason}; download it, upgrade to it, then run ./install update "
                      f"download again for {choice.newest}.", highlight=False)
    elif choice.reason:
        console.print(f"{choice.reason}.", highlight=False)
    why = f" ({choice.why_full})" if choice.why_full else ""
    console.print(f"{choice.application} {choice.version}: the {choice.kind}, {_mb(choice.size)}{why}.",
                  highlight=False, markup=False)


def _summary(done: Downloaded, console: Console) -> None:
    choice = done.choice
    if done.fetched is None:
        console.print(f"{choice.application} {choice.version} was downloaded and verified before, in {done.folder}.",
                      highlight=False, markup=False)
    else:
        resumed = f", resumed from {_mb(done.fetched.resumed_from)}" if done.fetched.resumed_from else ""
        cuts = f", {done.fetched.cuts} cut connection(s) resumed" if done.fetched.cuts else ""
        console.print(f"[green]✓[/] Downloaded the {choice.kind} of {choice.application} {choice.version}: "
                      f"{_mb(choice.size)}{resumed}{cuts}; signature and every file verified.", highlight=False)
    if choice.differential:
        console.print(f"  {_mb(choice.saved)} saved against the full bundle ({_mb(choice.full_size)}).", highlight=False)
    console.print(f"Next, to upgrade (it shows what changes and asks first):\n  cd {done.folder} && ./install upgrade",
                  highlight=False, markup=False, soft_wrap=True)


@contextmanager
def _bars(console: Console, *steps: str) -> Iterator[list[Callable[[int, int], None]]]:
    """A progress callback (done, total) per step, each a bar of bytes, rate and time left,
    shown from its first tick."""
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  TimeRemainingColumn(), console=console) as bars:
        yield [_tick(bars, step) for step in steps]


def _tick(bars: Progress, step: str) -> Callable[[int, int], None]:
    task: list[TaskID] = []

    def tick(done: int, total: int) -> None:
        if not task:
            task.append(bars.add_task(step, total=total))
        bars.update(task[0], completed=done, total=total)
    return tick


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
