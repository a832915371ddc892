"""Runs a plan: each phase not yet completed, in order, each by the executor its id resolves to
in the one table of phases (installer/phases/table.py), and records every phase's state here.

A phase left in_progress by a crash runs again (every executor is safe to run twice). A failure
is recorded with what failed, why, what to do and where the log is, and stops the run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from installer.errors import AirliftError
from installer.events import Event, EventBus
from installer.phases.table import PHASES, Executor, resolve
from installer.plan.model import Phase, Plan
from installer.plan.store import PlanStore

log = logging.getLogger(__name__)


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
    ctx: Any,
    bus: EventBus,
    log_path: str,
    table: Mapping[str, Callable[..., None]] = PHASES,
) -> None:
    """Run every phase that is not completed; raise PhaseFailed on the first failure.

    Every pending phase is resolved in `table` first, so a phase without code is named before
    anything runs. Phases of other nodes that need nothing from each other (/distribute/node-2
    and /distribute/node-3) run at the same time, each on its node."""
    pending = [p for p in plan.phases if p.state != "completed"]
    executors = {p.id: resolve(p.id, table) for p in pending}
    while pending:
        batch = _batch(pending)
        for phase in batch:
            _require(plan, phase)
        if len(batch) == 1:
            _run_phase(batch[0], store, executors[batch[0].id], ctx, bus, log_path)
        else:
            _run_together(batch, store, executors, ctx, bus, log_path)
        pending = pending[len(batch):]


def _per_node(phase: Phase) -> bool:
    """A phase of one node among several (`/runtime/node-2`)."""
    return phase.node is not None and phase.id.count("/") == 2


def _batch(pending: list[Phase]) -> list[Phase]:
    """The next phase, with the per-node phases after it that need none of the batch's phases
    and run on other nodes."""
    batch = [pending[0]]
    if not _per_node(pending[0]):
        return batch
    for phase in pending[1:]:
        taken = {p.id for p in batch}
        if not _per_node(phase) or taken & set(phase.requires) or phase.node in {p.node for p in batch}:
            break
        batch.append(phase)
    return batch


def _run_together(batch: list[Phase], store: PlanStore, executors: Mapping[str, Executor], ctx: Any,
                  bus: EventBus, log_path: str) -> None:
    """Run the batch's phases in threads; once all ended, raise the first failure in plan order."""
    errors: dict[str, BaseException] = {}

    def run(phase: Phase) -> None:
        try:
            _run_phase(phase, store, executors[phase.id], ctx, bus, log_path)
        except BaseException as exc:  # handed to the caller's thread below
            errors[phase.id] = exc

    threads = [threading.Thread(target=run, args=(p,), name=f"airlift-phase{p.id}") for p in batch]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for phase in batch:
        if phase.id in errors:
            raise errors[phase.id]


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
