"""Phase /runtime: k3s by its air-gap procedure, started, and this node Ready.

The cluster token the runtime writes is registered as a secret with the event bus, so it can
never appear in a log line or on screen.
"""

from __future__ import annotations

from installer.phases.context import PhaseContext
from installer.runtime import RuntimeConfig

PHASE = "/runtime"
READY_TIMEOUT_S = 300


def runtime_config(ctx: PhaseContext) -> RuntimeConfig:
    a = ctx.answers
    return RuntimeConfig(
        node_name=ctx.node,
        node_ip=a.advertise_addr,
        pod_cidr=a.pod_cidr,
        service_cidr=a.service_cidr,
        api_port=a.api_port,
        registry_url=ctx.registry.url,
    )


def execute(ctx: PhaseContext) -> None:
    runtime = ctx.runtime
    runtime.install(ctx.bundle, runtime_config(ctx))
    ctx.bus.add_secret(runtime.token())
    runtime.start()
    ctx.bus.log_line(f"Waiting up to {READY_TIMEOUT_S}s for node {ctx.node} to be Ready", phase=PHASE)
    runtime.wait_ready(ctx.node, READY_TIMEOUT_S)
    ctx.bus.log_line(f"Node {ctx.node} is Ready", phase=PHASE)
