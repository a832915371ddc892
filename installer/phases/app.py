"""Phase /app: apply the application's resources, run its install hooks, announce its endpoints.

Applying is declarative and the runtime replaces a hook Job of the same name before running it,
so the phase is safe to run twice.
"""

from __future__ import annotations

from collections.abc import Callable

from installer.events import Event
from installer.phases.context import PhaseContext
from installer.phases.resources import RESOURCES_FILE, endpoints, load_documents

PHASE = "/app"
HOOKS = ("install", "postInstall")


def execute(ctx: PhaseContext) -> None:
    runtime = ctx.runtime
    runtime.apply([ctx.app_dir / RESOURCES_FILE])
    ctx.bus.log_line("Application resources applied", phase=PHASE)
    for hook in HOOKS:
        job = ctx.manifest.hooks.get(hook)
        if job is None:
            continue
        ctx.bus.log_line(f"Running the {hook} hook", phase=PHASE)
        runtime.run_job(job, ctx.answers.hook_timeout, _hook_log(ctx, hook))
    ctx.endpoints = endpoints(ctx.manifest, load_documents(ctx.app_dir), ctx.address)
    for ep in ctx.endpoints:
        ctx.bus.emit(Event("log", "info", f"{ep['name']}: {ep['url']}", phase=PHASE, data={"endpoint": ep}))


def _hook_log(ctx: PhaseContext, hook: str) -> Callable[[str], None]:
    """Each line a hook Job logs becomes a log event of the phase, tagged with the hook's name."""
    def emit(line: str) -> None:
        ctx.bus.log_line(line, phase=PHASE, hook=hook)
    return emit
