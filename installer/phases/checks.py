"""Phase /checks: this host against its node profile. A failing check stops the install.

Facts are gathered once per run: the engine runs this phase before the state directory exists
(so a failing check changes nothing), and the run that follows reuses the results.
"""

from __future__ import annotations

from installer.checks import blocking, run_checks, unknown_skips
from installer.errors import AirliftError
from installer.events import Event
from installer.facts import ClusterSettings, PortNeed, airlift_ports, gather_facts
from installer.phases.context import PhaseContext
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


def check_ports(ctx: PhaseContext) -> list[PortNeed]:
    """The ports the install needs free, as the answers set them (the wizard's own is not a conflict)."""
    a = ctx.answers
    return airlift_ports(a.registry_port, a.wizard_port, a.api_port)


def cluster_settings(ctx: PhaseContext) -> ClusterSettings:
    """What the answers give this node, the first master: its address and the cluster's ranges."""
    a = ctx.answers
    return ClusterSettings(a.pod_cidr, a.service_cidr, ctx.address, server=True)


def state_dir_bytes(ctx: PhaseContext) -> int:
    """What the install stores in the state directory: the registry's (decompressed) images and
    binary, and the application's resources."""
    stored = [*ctx.bundle.files("images/"), *ctx.bundle.files("runtime/registry"), *ctx.bundle.files("resources/")]
    return sum(e.content_size for e in stored)


def run(ctx: PhaseContext) -> list:
    """Gather facts and run every check, emitting one event per result."""
    profile = ctx.profile
    ctx.facts = gather_facts(ctx.host, profile, ctx.state_dir, ports=check_ports(ctx),
                             state_dir_bytes=state_dir_bytes(ctx), cluster=cluster_settings(ctx))
    results = run_checks(ctx.facts, profile, set(ctx.answers.skip_checks))
    for unknown in unknown_skips(ctx.answers.skip_checks, results):
        ctx.bus.log_line(f"--skip-check {unknown}: no check has this id (see ./install check --list)",
                         "warn", phase=PHASE)
    for r in results:
        data = {"id": r.id, "severity": r.severity, "hint": r.hint}
        ctx.bus.emit(Event("check", r.status, r.message, phase=PHASE, node=ctx.node, data=data))
    ctx.check_results = results
    return results


def execute(ctx: PhaseContext) -> None:
    results = ctx.check_results if ctx.check_results is not None else run(ctx)
    if ctx.state_dir.is_dir():
        ctx.facts.save(StateDir(ctx.state_dir).facts)
    failed = blocking(results)
    if failed:
        raise ChecksFailed(failed)
