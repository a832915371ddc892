"""Runs a plan: each phase not yet completed, in order, through the executor table.

A phase left in_progress by a crash runs again (every executor is safe to run twice). A failure
is recorded with what failed, why, what to do and where the log is, and stops the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from installer.errors import AirliftError
from installer.events import Event, EventBus
from installer.plan.model import Phase, Plan
from installer.plan.store import PlanStore

log = logging.getLogger(__name__)

Executor = Callable[[Any], None]


class PhaseFailed(AirliftError):
    """A phase failed; the message names it, the hint says how to continue."""

    def __init__(self, phase: Phase, cause: AirliftError, log_path: str) -> None:
        super().__init__(
            f"Phase {phase.id} failed: {cause.message}",
            hint=f"{(cause.hint or 'Fix the cause above').rstrip('. ')}, then run ./install --resume",
            details=_details(cause.details, log_path),
        )
        self.phase = phase
        self.exit_code = cause.exit_code


def _details(details: str | None, log_path: str) -> str:
    return "\n".join(x for x in (details, f"Log: {log_path}") if x)


def run_plan(
    plan: Plan,
    store: PlanStore,
    executors: Mapping[str, Executor],
    ctx: Any,
    bus: EventBus,
    log_path: str,
) -> None:
    """Run every phase that is not completed; raise PhaseFailed on the first failure."""
    for phase in plan.phases:
        if phase.state == "completed":
            continue
        _require(plan, phase)
        _run_phase(phase, store, executors[phase.id], ctx, bus, log_path)


def _require(plan: Plan, phase: Phase) -> None:
    missing = [r for r in phase.requires if plan.phase(r).state != "completed"]
    if missing:
        raise AirliftError(
            f"Phase {phase.id} cannot run: {', '.join(missing)} not completed",
            hint="run ./install --resume to finish the earlier phases first",
        )


def _run_phase(phase: Phase, store: PlanStore, execute: Executor, ctx: Any, bus: EventBus, log_path: str) -> None:
    _set(phase, store, "in_progress", None)
    bus.emit(Event("phase", "started", phase.description, phase=phase.id, node=phase.node))
    try:
        execute(ctx)
    except AirliftError as exc:
        error = {"message": exc.message, "hint": exc.hint, "details": exc.details, "log": log_path}
        _set(phase, store, "failed", error)
        bus.emit(Event("phase", "failed", exc.message, phase=phase.id, node=phase.node, data=error))
        raise PhaseFailed(phase, exc, log_path) from exc
    except Exception as exc:
        log.exception("phase %s failed unexpectedly", phase.id)
        error = {"message": f"internal error: {exc}", "hint": None, "details": None, "log": log_path}
        _set(phase, store, "failed", error)
        bus.emit(Event("phase", "failed", str(error["message"]), phase=phase.id, node=phase.node, data=error))
        raise
    _set(phase, store, "completed", None)
    bus.emit(Event("phase", "completed", phase.description, phase=phase.id, node=phase.node))


def _set(phase: Phase, store: PlanStore, state: str, error: dict | None) -> None:
    store.record(phase.id, state, error)
    phase.state = state
    phase.error = error
