"""The terminal front-end: renders engine events as phase lines, progress bars and log lines.

It is an event sink like any other; it holds no install state of its own beyond what it draws.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from installer.events import Event

CHECK_MARKS = {"pass": "[green]✓[/]", "warn": "[yellow]![/]", "fail": "[red]✗[/]", "skipped": "[dim]-[/]"}
LOG_STYLES = {"info": "", "warn": "yellow", "error": "red"}


class TerminalRenderer:
    """Draws the event stream; call it with each event (it is an EventBus sink)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._tasks: dict[tuple[str | None, str], TaskID] = {}
        self._phase_started: dict[str, float] = {}

    def __call__(self, event: Event) -> None:
        handler = getattr(self, f"_on_{event.kind}", None)
        if handler is not None:
            handler(event)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._tasks = {}

    def _on_operation(self, event: Event) -> None:
        if event.status == "started":
            self.console.print(f"[bold]{event.message}[/]")
        else:
            self.close()

    def _on_phase(self, event: Event) -> None:
        self.close()
        phase = event.phase or ""
        if event.status == "started":
            self._phase_started[phase] = event.time
            self.console.print(f"[bold cyan]▶ {phase}[/] {event.message}")
            return
        took = event.time - self._phase_started.get(phase, event.time)
        if event.status == "completed":
            self.console.print(f"[green]✓ {phase}[/] done in {took:.1f}s")
        else:
            self.console.print(f"[red]✗ {phase} failed:[/] {event.message}")

    def _on_check(self, event: Event) -> None:
        """One line per check, naming the node it ran on: the checks of several nodes run at once,
        so their lines interleave. A check across nodes names no single node."""
        mark = CHECK_MARKS.get(event.status, event.status)
        check_id = event.data.get("id", "")
        where = _escape(f"[{event.node}] ") if event.node else ""
        self.console.print(f"  {mark} {where}{check_id}: {event.message}", highlight=False)
        if event.status in ("fail", "warn") and event.data.get("hint"):
            self.console.print(f"      [dim]{event.data['hint']}[/]", highlight=False)

    def _on_node(self, event: Event) -> None:
        mark = {"waiting": "[yellow]…[/]", "ssh-connecting": "[yellow]…[/]", "ssh-failed": "[red]✗[/]"}.get(
            event.status, "[green]+[/]")
        self._console().print(f"  {mark} {_escape(event.message)}", highlight=False)

    def _on_log(self, event: Event) -> None:
        style = LOG_STYLES.get(event.status, "")
        text = f"[{style}]{_escape(event.message)}[/]" if style else _escape(event.message)
        self._console().print(f"  {text}", highlight=False)

    def _on_progress(self, event: Event) -> None:
        done, total = event.data.get("done", 0), event.data.get("total", 0)
        key = (event.phase, event.message)
        progress = self._ensure_progress()
        if key not in self._tasks:
            columns_unit = event.data.get("unit", "items")
            self._tasks[key] = progress.add_task(event.message, total=total or None, unit=columns_unit)
        progress.update(self._tasks[key], completed=done, total=total or None)

    def _ensure_progress(self) -> Progress:
        if self._progress is None:
            self._progress = Progress(
                TextColumn("  {task.description}"),
                BarColumn(),
                _Amount(),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
            )
            self._progress.start()
        return self._progress

    def _console(self) -> Console:
        return self._progress.console if self._progress is not None else self.console


class _Amount(DownloadColumn):
    """Bytes as sizes, items as `n/m`."""

    def render(self, task):  # type: ignore[no-untyped-def]
        if task.fields.get("unit") == "bytes":
            return super().render(task)
        return MofNCompleteColumn().render(task)


def _escape(text: str) -> str:
    return text.replace("[", r"\[")


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}m {seconds % 60:02d}s"
