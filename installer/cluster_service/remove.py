"""The remove operation (`./install remove NODE`): a node leaves the installed cluster.

    /hooks/preNodeRemove   the application's hook, when the manifest has one
    /drain/<node>          cordon the node and move its pods to the other nodes
    /leave/<node>          the node's agent removes k3s, then everything Airlift put there
    /delete/<node>         delete the node from Kubernetes and from the cluster's nodes
    /hooks/postNodeRemove  the application's hook, when the manifest has one

The node's k3s is gone before the delete, since a k3s agent still running would register the
node again. With `force`, a node whose agent cannot be reached (or cannot drain) is taken out
anyway; the operator is told to clean that host by hand. Every phase is safe to run twice.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from installer.agent_hub import AgentHub
from installer.errors import AirliftError
from installer.events import Event
from installer.manifest import Manifest
from installer.phases.hooks import run_hook
from installer.phases.inputs import PhaseInputs
from installer.plan import Phase, PhaseFailed, Plan, PlanStore, run_plan

OPERATION = "remove"
DRAIN_TIMEOUT_S = 300
FORCED_DRAIN_TIMEOUT_S = 60  # a dead node's pods never confirm they stopped: do not wait long for them
CONTACT_WAIT_S = 30.0
LEAVE_TIMEOUT_S = 600
HAND_CLEAN = ("as root there, run /var/lib/airlift/installer/install uninstall --yes (the installer the node "
              "kept), or ./install uninstall from an unpacked bundle")


def build_remove_plan(manifest: Manifest, node: str, first: str) -> Plan:
    """The phases that take `node` out of the cluster run by `first` (the first master)."""
    steps: list[tuple[str, str, str]] = []
    if "preNodeRemove" in manifest.hooks:
        steps.append(("/hooks/preNodeRemove", "Run the application's preNodeRemove hook", first))
    steps += [
        (f"/drain/{node}", f"Drain node {node}: move its pods to the other nodes", first),
        (f"/leave/{node}", f"Remove k3s and everything Airlift put on node {node}", node),
        (f"/delete/{node}", f"Delete node {node} from Kubernetes and from the cluster's nodes", first),
    ]
    if "postNodeRemove" in manifest.hooks:
        steps.append(("/hooks/postNodeRemove", "Run the application's postNodeRemove hook", first))
    phases: list[Phase] = []
    for phase_id, description, where in steps:
        phases.append(Phase(phase_id, description, [phases[-1].id] if phases else [], where))
    return Plan(operation=OPERATION, phases=phases)


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


def remove_node(ctx: PhaseInputs, node: str, force: bool, store: PlanStore) -> None:
    """Take `node` out of the cluster: a new remove plan in `store`, or the one there resumed."""
    hub = _hub(ctx)
    plan = store.load()
    if plan is None:
        check_removable(hub, node, ctx.node)
        plan = build_remove_plan(ctx.manifest, node, ctx.node)
        store.create(plan)
    ctx.bus.emit(Event("operation", "started", f"Removing node {node} from the cluster", node=node))
    try:
        # The operation's folder keeps its events (installer/cluster_service/operations.py): the log to read.
        log = str(store.plan_path.parent / "events.jsonl")
        run_plan(plan, store, executors(plan, node, force), ctx, ctx.bus, log)
    except PhaseFailed as exc:
        raise AirliftError(exc.message, details=exc.details, hint=_next_step(exc, node)) from exc
    ctx.bus.emit(Event("operation", "completed", f"Node {node} left the cluster", node=node))


def _next_step(exc: PhaseFailed, node: str) -> str:
    """The failed phase's hint, ending with how to carry on (unless it names that already)."""
    cause = exc.__cause__
    hint = (cause.hint if isinstance(cause, AirliftError) else None) or "Fix the cause above"
    again = f"./install remove {node}"
    return hint if again in hint else f"{hint.rstrip('. ')}, then run {again} again"


def executors(plan: Plan, node: str, force: bool) -> dict[str, Callable[[PhaseInputs], None]]:
    """The executor of each phase of `plan`."""
    table: dict[str, Callable[[PhaseInputs], None]] = {
        f"/drain/{node}": partial(drain, node=node, force=force),
        f"/leave/{node}": partial(leave, node=node, force=force),
        f"/delete/{node}": partial(delete, node=node),
    }
    for hook in ("preNodeRemove", "postNodeRemove"):
        table[f"/hooks/{hook}"] = partial(_hook, hook=hook)
    return {p.id: table[p.id] for p in plan.phases}


def _hook(ctx: PhaseInputs, hook: str) -> None:
    run_hook(ctx, hook, f"/hooks/{hook}")


def drain(ctx: PhaseInputs, node: str, force: bool) -> None:
    phase = f"/drain/{node}"
    try:
        ctx.runtime.drain(node, FORCED_DRAIN_TIMEOUT_S if force else DRAIN_TIMEOUT_S)
    except AirliftError as exc:
        if not force:
            raise AirliftError(exc.message, details=exc.details,
                               hint=f"{(exc.hint or 'fix the cause').rstrip('. ')}; or take the node out without "
                                    f"draining it: ./install remove {node} --force") from exc
        ctx.bus.log_line(f"{exc.message}; going on because of --force (its pods are rescheduled once "
                         "the node is deleted)", "warn", phase=phase)
        return
    ctx.bus.log_line(f"Node {node} drained: no new pods go there and its pods moved", phase=phase)


def leave(ctx: PhaseInputs, node: str, force: bool) -> None:
    """The node's agent removes k3s and the rest; with `force`, an agent that cannot do it is
    skipped with a warning naming the command that cleans the host by hand."""
    phase = f"/leave/{node}"
    hub = _hub(ctx)
    try:
        hub.wait_connected(node, CONTACT_WAIT_S)
        hub.run(node, "leave", {"phase": phase}, LEAVE_TIMEOUT_S)
    except AirliftError as exc:
        why = exc.message.removeprefix(f"Node {node}: ")
        if not force:
            raise AirliftError(
                f"Node {node} could not leave: {why}",
                details=exc.details,
                hint=f"bring {node} and its airlift-agent service back (systemctl start airlift-agent there); "
                     f"or take it out without it: ./install remove {node} --force") from exc
        ctx.bus.log_line(f"Node {node} did not leave by itself ({why}); going on because of --force. "
                         f"Clean that host by hand: {HAND_CLEAN}", "warn", phase=phase, clean_by_hand=node)
        return
    ctx.bus.log_line(f"Node {node} removed k3s; it now uninstalls the rest and its agent stops", phase=phase)


def delete(ctx: PhaseInputs, node: str) -> None:
    phase = f"/delete/{node}"
    ctx.runtime.delete_node(node)
    _hub(ctx).nodes.remove(node)
    ctx.host.remove(ctx.state_dir / "facts" / f"{node}.json")
    ctx.bus.log_line(f"Node {node} deleted from Kubernetes and from the cluster's nodes", phase=phase)


def _hub(ctx: PhaseInputs) -> AgentHub:
    if ctx.agents is None:
        raise AirliftError("The remove operation needs the cluster controller's agent listener",
                           hint="run it through ./install remove NODE (the airlift-cluster service)")
    return ctx.agents
