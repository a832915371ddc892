"""The expand operation: a node that joined the installed cluster is checked (on its own, then
against the cluster's nodes: ports, bandwidth, clocks), receives the
runtime from the first master's blob store, and joins Kubernetes, with the application's
preNodeAdd/postNodeAdd hooks around the join. The plan is built in installer/plan/builders.py;
its per-node phases are the install's own (installer/phases/remote.py), the hooks run like /app
runs its hooks (installer/phases/hooks.py).
"""

from __future__ import annotations

from installer.cluster_service.kept import require_node_blobs
from installer.phases.inputs import PhaseInputs
from installer.plan import PlanStore, build_expand_plan, run_plan


def expand_node(ctx: PhaseInputs, node: str, store: PlanStore, log_path: str) -> None:
    """Add `node` (joined already, its agent in contact) to the cluster; resumes a stored plan."""
    require_node_blobs(ctx.bundle, ctx.state_dir)
    plan = store.load()
    if plan is None:
        plan = build_expand_plan(ctx.node, node, ctx.manifest.hooks)
        store.create(plan)
    ctx.bus.log_line(f"Adding node {node} to the cluster")
    run_plan(plan, store, ctx, ctx.bus, log_path)
    ctx.bus.log_line(f"Node {node} is part of the cluster")
