"""What the vendor sees: per-image and byte progress on a terminal, then a closing summary."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)


@dataclass(frozen=True)
class Summary:
    images: int
    unique_layers: int
    dedup_saved: int
    bundle_size: int
    installer_size: int
    seconds: float
    output: str
    folder: str  # the bundle's top folder, <name>-<version>
    base: str | None = None  # a differential bundle's base, "<name> <version>"
    from_base: int = 0       # files it expects from the base
    base_saved: int = 0      # what they take in the base bundle
    signed_by: str | None = None  # the vendor key id (build.py --sign)
    licence_key: str | None = None  # the licence key id (build.py --licence-key): a licence is required


class Reporter:
    """Rich progress on stderr; with quiet=True only errors (printed by the caller) remain."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.console = Console(file=sys.stderr, quiet=quiet)
        self._progress = Progress(TextColumn("{task.description:<40}"), BarColumn(), DownloadColumn(),
                                  TransferSpeedColumn(), TimeElapsedColumn(), console=self.console,
                                  disable=quiet)
        self._task: TaskID | None = None

    def __enter__(self) -> Reporter:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def stage(self, description: str, total: int | None) -> None:
        """Start a new bar (the previous one stays on screen, completed)."""
        if self._task is not None:
            task = self._progress.tasks[self._task]
            self._progress.update(self._task, total=task.completed)
        self._task = self._progress.add_task(description, total=total)

    def advance(self, n: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)

    def image(self, ref: str, status: str) -> None:
        if status != "fetching":
            self._progress.console.print(f"  image {ref} {status}", highlight=False, soft_wrap=True)

    def summary(self, s: Summary) -> None:
        self.console.print(
            f"Built {s.output}\n"
            f"  images          {s.images}\n"
            f"  unique layers   {s.unique_layers}\n"
            f"  saved by dedup  {_human(s.dedup_saved)}\n"
            f"  installer       {_human(s.installer_size)}\n"
            f"  bundle size     {_human(s.bundle_size)}\n"
            + _differential(s) +
            f"  signed by       {s.signed_by or 'nobody (build.py --sign KEY signs it)'}\n"
            f"  licence         {_licence(s)}\n"
            f"  time            {s.seconds:.1f} s\n"
            + _next(s), highlight=False)


def _licence(s: Summary) -> str:
    if s.licence_key is None:
        return "not required (build.py --licence-key PUB requires one)"
    return f"required at install, signed by key {s.licence_key}"


def _differential(s: Summary) -> str:
    if s.base is None:
        return ""
    full = s.bundle_size + s.base_saved
    share = f", {100 * s.base_saved / full:.0f} % of a full bundle (about {_human(full)})" if full else ""
    return (f"  differential    against {s.base}: {s.from_base} files left out\n"
            f"  saved vs full   {_human(s.base_saved)}{share}\n")


def _next(s: Summary) -> str:
    command = "./install upgrade" if s.base else "./install"
    where = f"a cluster running {s.base} (its first master)" if s.base else "the first host"
    return (f"Next: copy {s.output} to {where}, then run there:\n"
            f"  tar xf {Path(s.output).name} && cd {s.folder} && {command}")


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"
