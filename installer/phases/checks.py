"""Phase /checks: this host against its node profile. A failing check stops the install.

Facts are gathered once per run: the engine runs the checks before the state directory exists
(so a failing check changes nothing) and hands what they found to the plan's /checks phase
(`PhaseInputs.checked`); a resumed install runs them again.
"""

from __future__ import annotations

from dataclasses import dataclass

from installer.checks import CheckResult, blocking, run_checks, unknown_skips
from installer.errors import AirliftError
from installer.events import Event
from installer.facts import ClusterSettings, Facts, PortNeed, airlift_ports, gather_facts
from installer.phases.inputs import PhaseInputs
from installer.statedir import StateDir

PHASE = "/checks"


class ChecksFailed(AirliftError):
    """One or more fail-severity checks failed; exit code 1 like a failed verify."""

    exit_code = 1

    def __init__(self, failed: list, node: str | None = None) -> None:
        lines = [f"{r.id}: {r.message}" + (f" ({r.hint})" if r.hint else "") for r in failed]
        super().__init__(
            f"{len(failed)} host check(s) failed" + (f" on node {node}" if node else ""),
            details="\n".join(lines),
            hint="fix the host, or skip a check with --skip-check ID, then run the install again",
        )
        self.failed = failed


@dataclass(frozen=True)
class CheckRun:
    """One run of this host's checks: the facts gathered and the result of every check."""

    facts: Facts
    results: list[CheckResult]


def check_ports(ctx: PhaseInputs) -> list[PortNeed]:
    """The ports the install needs free, as the answers set them (the wizard's own is not a conflict)."""
    a = ctx.answers
    return airlift_ports(a.registry_port, a.wizard_port, a.api_port, a.exporter_port,
                         (a.monitoring_port, a.alertmanager_port, a.registry_metrics_port, a.panel_port))


def cluster_settings(ctx: PhaseInputs) -> ClusterSettings:
    """What the answers give this node, the first master: its address and the cluster's ranges."""
    a = ctx.answers
    return ClusterSettings(a.pod_cidr, a.service_cidr, ctx.address, server=True)


def state_dir_bytes(ctx: PhaseInputs) -> int:
    """What the install stores in the state directory: the registry's (decompressed) images and
    binary, and the application's resources."""
    stored = [*ctx.bundle.files("images/"), *ctx.bundle.files("runtime/registry"), *ctx.bundle.files("resources/")]
    return sum(e.content_size for e in stored)


def run(ctx: PhaseInputs) -> CheckRun:
    """Gather facts and run every check, emitting one event per result."""
    profile = ctx.profile
    facts = gather_facts(ctx.host, profile, ctx.state_dir, ports=check_ports(ctx),
                         state_dir_bytes=state_dir_bytes(ctx), cluster=cluster_settings(ctx))
    results = run_checks(facts, profile, set(ctx.answers.skip_checks))
    for unknown in unknown_skips(ctx.answers.skip_checks, results):
        ctx.bus.log_line(f"--skip-check {unknown}: no check has this id (see ./install check --list)",
                         "warn", phase=PHASE)
    for r in results:
        data = {"id": r.id, "severity": r.severity, "hint": r.hint}
        ctx.bus.emit(Event("check", r.status, r.message, phase=PHASE, node=ctx.node, data=data))
    return CheckRun(facts, results)


def execute(ctx: PhaseInputs) -> None:
    checked = ctx.checked or run(ctx)
    if ctx.state_dir.is_dir():
        checked.facts.save(StateDir(ctx.state_dir).facts)
    failed = blocking(checked.results)
    if failed:
        raise ChecksFailed(failed)
