"""Phase /registry of an upgrade and of a rollback.

Upgrade: only the blobs the registry's storage does not hold yet are written, straight into it
(installer/registry/populate.py), then every image the previous version did not have is verified
through the registry's API, as a node pulls. Rollback: the previous version's images were never
removed, so each of its tags is checked to still be served. Both are safe to run twice.
"""

from __future__ import annotations

from installer.errors import AirliftError
from installer.phases.inputs import PhaseInputs
from installer.phases.registry import READY_TIMEOUT_S
from installer.registry.populate import missing_bytes
from installer.registry.verify import verify_images
from installer.upgrade.versions import previous_bundle

PHASE = "/registry"


def upgrade(ctx: PhaseInputs) -> None:
    registry = ctx.registry
    registry.start()  # running already; started again if it was down
    registry.wait_ready(READY_TIMEOUT_S)
    new_bytes = missing_bytes(ctx.bundle, registry.storage)
    registry.populate(ctx.bundle, ctx.bus.progress(PHASE, "bytes", "Copying the new image blobs into the registry"))
    ctx.bus.log_line(f"{new_bytes} bytes of new image blobs written to {registry.storage}", phase=PHASE)
    before = {(i.ref, i.digest) for i in previous_bundle(ctx.state_dir).images()}
    fresh = [i for i in ctx.bundle.image_contents() if (i.ref, i.manifest.digest) not in before]
    with registry.session() as session:
        verify_images(session, registry.url, fresh,
                      ctx.bus.progress(PHASE, "items", "Verifying the new images through the registry API"))
    ctx.bus.log_line(f"{len(fresh)} new or changed image(s) served by {registry.url}", phase=PHASE)


def rollback(ctx: PhaseInputs) -> None:
    registry = ctx.registry
    registry.start()
    registry.wait_ready(READY_TIMEOUT_S)
    images = ctx.bundle.images()
    problems = registry.image_problems(images)
    if problems:
        raise AirliftError(f"The registry no longer serves {len(problems)} image(s) of {ctx.bundle.name} "
                           f"{ctx.bundle.version}", details="\n".join(problems[:20]),
                           hint=f"restore {registry.storage} from a backup of the state directory, then run "
                                "./install rollback again")
    ctx.bus.log_line(f"All {len(images)} image(s) of {ctx.bundle.version} still served by {registry.url}",
                     phase=PHASE)
