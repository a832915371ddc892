"""Running the application's hook Jobs (install, postInstall, preNodeAdd, preNodeRemove, ...).

One way for every operation: the manifest's Job for the hook runs through the runtime, and each
line it logs becomes a log event of the phase, tagged with the hook's name.
"""

from __future__ import annotations

from installer.phases.inputs import PhaseInputs


def run_hook(ctx: PhaseInputs, hook: str, phase: str) -> bool:
    """Run the manifest's `hook` Job to its end, if the manifest has one; True when it ran."""
    job = ctx.manifest.hooks.get(hook)
    if job is None:
        return False
    ctx.bus.log_line(f"Running the {hook} hook", phase=phase)
    ctx.runtime.run_job(hook, job, ctx.answers.hook_timeout, lambda line: ctx.bus.log_line(line, phase=phase, hook=hook))
    return True


def execute(ctx: PhaseInputs, hook: str) -> None:
    """Phase /hooks/<hook> of a day-two operation (expand, remove): the hook as a phase of its own."""
    run_hook(ctx, hook, f"/hooks/{hook}")
