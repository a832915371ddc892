"""The remove operation (`./install remove NODE`): a node leaves the installed cluster.

    /hooks/preNodeRemove   the application's hook, when the manifest has one
    /drain/<node>          cordon the node and move its pods to the other nodes
    /leave/<node>          the node's agent removes k3s, then everything Airlift put there
    /delete/<node>         delete the node from Kubernetes and from the cluster's nodes
    /hooks/postNodeRemove  the application's hook, when the manifest has one

The plan is built in installer/plan/builders.py, the phases run in installer/phases/removal.py;
this module refuses a node that cannot leave and runs (or resumes) the operation.
"""

from __future__ import annotations

from installer.agent_hub import AgentHub
from installer.errors import AirliftError
from installer.events import Event
from installer.phases.inputs import PhaseInputs
from installer.phases.removal import hub_of
from installer.plan import PhaseFailed, PlanStore, build_remove_plan, run_plan
from installer.statedir import RunFolder


def check_removable(hub: AgentHub, node: str, first: str) -> None:
    """Refuse, with what to do, a node that cannot leave: unknown, or the first master (which runs
    the registry, the Kubernetes server every other node joined and the cluster controller, so it
    is also the master that remains last)."""
    known = [n.name for n in hub.nodes.nodes()]
    if node == first:
        raise AirliftError(
            f"Node {node} is the first master: it runs the registry, the cluster controller and the "
            "Kubernetes server the other nodes joined, so it cannot leave",
            hint="remove the other nodes instead; to take the whole cluster down, run ./install uninstall "
                 "on every node")
    if node not in known:
        others = ", ".join(known) if known else "none besides the first master"
        raise AirliftError(f"Node {node} is not a node of this cluster",
                           hint=f"name one of the nodes that joined: {others} (first master: {first})")


def remove_node(ctx: PhaseInputs, node: str, store: PlanStore) -> None:
    """Take `node` out of the cluster: a new remove plan in `store`, or the one there resumed,
    with this run's options (`ctx.options.force`)."""
    hub = hub_of(ctx)
    plan = store.load()
    if plan is None:
        check_removable(hub, node, ctx.node)
        plan = build_remove_plan(ctx.node, node, ctx.manifest.hooks)
        store.create(plan)
    ctx.bus.emit(Event("operation", "started", f"Removing node {node} from the cluster", node=node))
    try:
        # The operation's folder keeps its events (installer/cluster_service/operations.py): the log to read.
        log = str(RunFolder(store.plan_path.parent).events)
        run_plan(plan, store, ctx, ctx.bus, log)
    except PhaseFailed as exc:
        raise AirliftError(exc.message, details=exc.details, hint=_next_step(exc, node)) from exc
    ctx.bus.emit(Event("operation", "completed", f"Node {node} left the cluster", node=node))


def _next_step(exc: PhaseFailed, node: str) -> str:
    """The failed phase's hint, ending with how to carry on (unless it names that already)."""
    cause = exc.__cause__
    hint = (cause.hint if isinstance(cause, AirliftError) else None) or "Fix the cause above"
    again = f"./install remove {node}"
    return hint if again in hint else f"{hint.rstrip('. ')}, then run {again} again"
