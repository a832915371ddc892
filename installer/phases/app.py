"""Phase /app: apply the application's resources, run its install hooks, announce its endpoints.

Applying is declarative and the runtime replaces a hook Job of the same name before running it,
so the phase is safe to run twice.
"""

from __future__ import annotations

from installer.app_documents import RESOURCES_FILE, endpoints, load_documents
from installer.events import Event
from installer.phases.hooks import run_hook
from installer.phases.inputs import PhaseInputs

PHASE = "/app"
HOOKS = ("install", "postInstall")


def execute(ctx: PhaseInputs) -> None:
    ctx.runtime.apply([ctx.app_dir / RESOURCES_FILE])
    ctx.bus.log_line("Application resources applied", phase=PHASE)
    for hook in HOOKS:
        run_hook(ctx, hook, PHASE)
    for ep in endpoints(ctx.manifest, load_documents(ctx.app_dir), ctx.address):
        ctx.bus.emit(Event("log", "info", f"{ep['name']}: {ep['url']}", phase=PHASE, data={"endpoint": ep}))

