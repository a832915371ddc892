"""Phases /runtime/<node> of an upgrade and of a rollback: one node at a time, masters first, the
runtime of `ctx.bundle` (the new version, or the previous one) replaces the node's.

As k3s's manual upgrade goes: cordon, drain (when other nodes can take the pods), stop k3s, put the
new binary and air-gap images in place, start, wait for Ready, uncordon. A node whose runtime did
not change is skipped with a log line. Every step is safe to repeat: after a crash the phase runs
the whole sequence again (a node left cordoned or stopped is brought back the same way).
/distribute/<node> is the install's (installer/phases/remote.py): the node's agent fetches the
runtime files it lacks over the LAN.
"""

from __future__ import annotations

from installer.phases import remote
from installer.phases.inputs import PhaseInputs
from installer.phases.runtime import install, runtime_config
from installer.upgrade.record import record_in

DRAIN_TIMEOUT_S = 300


def execute(ctx: PhaseInputs, node: str) -> None:
    phase = f"/runtime/{node}"
    version = ctx.bundle.index.k3s_version or "carried by the bundle"
    if not record_in(ctx.operation).runtime_changed:
        ctx.bus.log_line(f"Node {node} keeps its runtime: both versions carry the same k3s ({version})", phase=phase)
        return
    runtime = ctx.runtime
    ctx.bus.log_line(f"Node {node}: moving to k3s {version}", phase=phase)
    _cordon(ctx, node)
    if node == ctx.node:
        ctx.services.stop(runtime.service)
        install(runtime, ctx.bundle, runtime_config(ctx))
        runtime.start()
    else:
        remote.runtime(ctx, node, restart=True)
    runtime.wait_ready(node, ctx.answers.ready_timeout)
    runtime.kubectl(["uncordon", node])
    ctx.bus.log_line(f"Node {node} runs k3s {version}, is Ready and takes pods again", phase=phase)


def _cordon(ctx: PhaseInputs, node: str) -> None:
    """No new pods go to `node`; with other nodes in the cluster its pods move there first. On a
    single node (or when k3s is down after a crash) there is nowhere to move them: they stop with
    k3s and start again with it."""
    runtime = ctx.runtime
    if not ctx.services.is_running(runtime.service):
        return
    runtime.kubectl(["cordon", node])
    if ctx.agents is not None and ctx.agents.nodes.nodes():
        runtime.drain(node, DRAIN_TIMEOUT_S)
