"""Phase /cluster: start the cluster controller (`airlift-cluster`), so nodes can join and
leave after the install (installer/cluster_service).

The controller answers on the agent port with the same certificate, join token and list of joined nodes
as the installer, which stops listening once the plan is done; the controller retries binding
the port meanwhile. What a joining node needs of the bundle is kept first (installer.cluster_service.kept),
and a one-node install gets its join token and certificate here, so it can be expanded too.
"""

from __future__ import annotations

from installer.agent_hub import token as token_mod
from installer.cluster_service import service
from installer.cluster_service.kept import keep_bundle
from installer.panel_access.address import panel_url
from installer.phases.inputs import PhaseInputs
from installer.services.names import CONTROLLER, PANEL
from installer.statedir import StateDir
from installer.tls import ensure_certificate

PHASE = "/cluster-service"


def execute(ctx: PhaseInputs) -> None:
    keep_bundle(ctx.bundle, ctx.state_dir)
    paths = StateDir(ctx.state_dir)
    ctx.bus.log_line(f"Kept what nodes joining later need in {paths.bundle} and {paths.blobs}", phase=PHASE)
    ensure_certificate(ctx.state_dir, ctx.address)
    token_mod.load_or_create(ctx.state_dir)
    token_mod.load_or_create_admin(ctx.state_dir)  # `./install remove` on this host presents it
    service.start_day_two(ctx.services, ctx.host, ctx.state_dir)
    ctx.bus.log_line(f"Service {CONTROLLER} started: nodes join on port {ctx.answers.agent_port}",
                     phase=PHASE)
    ctx.bus.log_line(f"Service {PANEL} started: the control panel is at "
                     f"{panel_url(str(ctx.answers.advertise_addr), ctx.answers.panel_port)}", phase=PHASE)
