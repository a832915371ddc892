"""Phase /registry: the bundle's registry binary as a sealed service (read-only, HTTPS from the
install's CA, one user with a password made for the install), filled with every image, verified
through its API as a node would pull: trusting that CA and signed in.

Each step is safe to repeat (install overwrites, starting a running service changes nothing,
populating writes the same files again), so the phase can run again after a crash.
"""

from __future__ import annotations

from installer.phases.inputs import PhaseInputs

PHASE = "/registry"
READY_TIMEOUT_S = 60
REGISTRY_BINARY = "runtime/registry"


def execute(ctx: PhaseInputs) -> None:
    registry = ctx.registry
    with ctx.bundle.open_file(REGISTRY_BINARY) as binary:
        credentials = registry.install(binary)
    ctx.bus.add_secret(credentials.password)
    registry.start()
    registry.wait_ready(READY_TIMEOUT_S)
    ctx.bus.log_line(f"Registry answering at {registry.url}", phase=PHASE)
    registry.populate(ctx.bundle, ctx.bus.progress(PHASE, "bytes", "Copying image blobs into the registry"))
    registry.verify(ctx.bundle, ctx.bus.progress(PHASE, "items", "Verifying images through the registry API"))
    ctx.bus.log_line(f"{len(ctx.bundle.images())} image(s) served by {registry.url}", phase=PHASE)
