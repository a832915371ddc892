"""Phase /checks of an upgrade: this host against the new version's node profile, and room for
the new image blobs in the registry's storage; /checks/<node>: each other node through its agent.

An installed node holds k3s, its ports are taken and its folders exist, so the install's checks of
a clean host (ports, processes, leftovers, ...) do not apply: only what the new version may demand
more of is checked (CPU, RAM, operating system, volumes). Nothing is changed, so running it twice
is safe.
"""

from __future__ import annotations

import shutil
from dataclasses import replace

from installer.checks import CheckResult, blocking
from installer.checks.catalog import CHECKS
from installer.checks.hardware import CPU, RAM
from installer.checks.os_release import OS
from installer.checks.volumes import VOLUMES
from installer.errors import AirliftError
from installer.events import Event
from installer.facts import gather_facts
from installer.phases import remote
from installer.phases.checks import ChecksFailed, cluster_settings
from installer.phases.inputs import PhaseInputs
from installer.registry.populate import missing_bytes

PHASE = "/checks"
FAMILIES = (CPU, RAM, OS, VOLUMES)


def execute(ctx: PhaseInputs) -> None:
    facts = gather_facts(ctx.host, ctx.profile, ctx.state_dir, ports=[], cluster=cluster_settings(ctx))
    skip = set(ctx.answers.skip_checks)
    results = [_skipped(r) if r.id in skip or family.id in skip else r
               for family in FAMILIES for r in family.run(facts, ctx.profile)]
    for r in results:
        ctx.bus.emit(Event("check", r.status, r.message, phase=PHASE, node=ctx.node,
                           data={"id": r.id, "severity": r.severity, "hint": r.hint}))
    failed = blocking(results)
    if failed:
        raise ChecksFailed(failed)
    _room_for_images(ctx)


def _skipped(r: CheckResult) -> CheckResult:
    return CheckResult(r.id, r.severity, "skipped", f"Skipped at the operator's request (was: {r.status}).")


def _room_for_images(ctx: PhaseInputs) -> None:
    storage = ctx.registry.storage
    needed = missing_bytes(ctx.bundle, storage)
    free = shutil.disk_usage(storage).free
    if needed > free:
        raise AirliftError(f"The registry's storage {storage} has {free} bytes free; the new version's images "
                           f"need {needed} more",
                           hint="free space on that disk, then run ./install upgrade again")
    ctx.bus.log_line(f"Room for the new images: {needed} bytes needed, {free} free in {storage}", phase=PHASE)


def node(ctx: PhaseInputs, name: str) -> None:
    """/checks/<node>: the node's agent checks it against its profile in the new manifest, with
    every check of a clean host skipped."""
    installed = [f.id for f in CHECKS if f not in FAMILIES]
    answers = replace(ctx.answers, skip_checks=[*ctx.answers.skip_checks, *installed])
    remote.checks(replace(ctx, answers=answers), name)
