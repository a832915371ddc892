"""The one table from phase ids to the code that runs them, for the plans of every operation
(installer/plan/builders.py): like Gravity's fsm, one registry of phase executors.

A pattern is a phase id (`/runtime`) or a family of ids ending in `/*` (`/runtime/*`), whose
last part, a node or a hook name, is handed to the executor: `/runtime/node-2` runs
`remote.runtime(ctx, "node-2")`. The `*` stands for exactly one part, and an id written out wins
over a family, so the most specific pattern wins: `/checks/network` (every node, install) is not
`/checks/*` (a node may not be named network: installer/agent_hub/hub.py refuses it), and
`/checks/network/node-4` (expand) is `/checks/network/*`, never `/checks/*`.

What the operator asked of a run (`--force`) reaches the executors in `PhaseInputs.options`.

An upgrade and a rollback reuse phase ids with other work (`/registry` fills only the new blobs,
`/runtime/<node>` replaces a running node's k3s), so they have tables of their own, UPGRADE_PHASES
and ROLLBACK_PHASES, which their runs hand to the runner (installer/upgrade/run.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from installer.errors import AirliftError
from installer.phases import (
    app,
    bootstrap,
    checks,
    cluster_service,
    hooks,
    monitoring,
    network_checks,
    registry,
    remote,
    removal,
    runtime,
    upgrade_app,
    upgrade_checks,
    upgrade_registry,
    upgrade_runtime,
    upgrade_versions,
)
from installer.phases.inputs import PhaseInputs

PHASES: dict[str, Callable[..., None]] = {
    "/checks": checks.execute,
    "/checks/*": remote.checks,
    "/checks/network": network_checks.execute,
    "/checks/network/*": network_checks.execute,
    "/bootstrap": bootstrap.execute,
    "/distribute/*": remote.distribute,
    "/registry": registry.execute,
    "/runtime": runtime.execute,
    "/runtime/*": remote.runtime,
    "/app": app.execute,
    "/cluster-service": cluster_service.execute,
    "/monitoring": monitoring.execute,
    "/monitoring/*": monitoring.node,
    "/hooks/*": hooks.execute,
    "/drain/*": removal.drain,
    "/leave/*": removal.leave,
    "/delete/*": removal.delete,
}

UPGRADE_PHASES: dict[str, Callable[..., None]] = {
    "/previous": upgrade_versions.previous,
    "/checks": upgrade_checks.execute,
    "/checks/*": upgrade_checks.node,
    "/registry": upgrade_registry.upgrade,
    "/distribute/*": upgrade_versions.distribute,
    "/hooks/*": hooks.execute,
    "/runtime/*": upgrade_runtime.execute,
    "/app": upgrade_app.upgrade,
    "/installer": upgrade_versions.upgrade_installer,
    "/gc": upgrade_versions.gc,
}

ROLLBACK_PHASES: dict[str, Callable[..., None]] = {
    "/hooks/rollback": upgrade_app.rollback_hook,
    "/app": upgrade_app.rollback,
    "/registry": upgrade_registry.rollback,
    "/distribute/*": remote.distribute,
    "/runtime/*": upgrade_runtime.execute,
    "/installer": upgrade_versions.rollback_installer,
}


class UnknownPhase(AirliftError):
    """A plan names a phase this installer has no code for (a plan made by another version)."""

    def __init__(self, phase_id: str) -> None:
        super().__init__(f"Phase {phase_id} of the stored plan is not a phase this installer knows",
                         hint="carry the operation on with the installer (the same bundle version) that started it")
        self.phase_id = phase_id


@dataclass(frozen=True)
class Executor:
    """A phase id resolved: the pattern it matched, the function, and the part `*` stood for."""

    pattern: str
    execute: Callable[..., None]
    name: str | None = None

    def __call__(self, ctx: PhaseInputs) -> None:
        if self.name is None:
            self.execute(ctx)
        else:
            self.execute(ctx, self.name)


def resolve(phase_id: str, table: Mapping[str, Callable[..., None]] = PHASES) -> Executor:
    """The executor of `phase_id`: its own entry, else its family's (`/runtime/*`); UnknownPhase
    when neither is in `table`."""
    if phase_id in table:
        return Executor(phase_id, table[phase_id])
    family, _, name = phase_id.rpartition("/")
    pattern = f"{family}/*"
    if family and name and pattern in table:
        return Executor(pattern, table[pattern], name)
    raise UnknownPhase(phase_id)
