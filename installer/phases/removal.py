"""The phases that take a node out of the cluster (the remove operation, installer/cluster_service/
remove.py): /drain/<node>, /leave/<node> and /delete/<node>.

With the run's `force` (`./install remove N --force`, PhaseInputs.options), a node whose agent
cannot be reached (or that cannot be drained) is taken out anyway, and the operator is told to
clean that host by hand. Every phase is safe to run twice.
"""

from __future__ import annotations

from pathlib import Path

from installer.agent_hub import AgentHub
from installer.errors import AirliftError
from installer.installer_copy import launcher_path
from installer.phases.inputs import PhaseInputs
from installer.services.names import AGENT, CONTROLLER
from installer.statedir import DEFAULT_STATE_DIR, StateDir

DRAIN_TIMEOUT_S = 300
FORCED_DRAIN_TIMEOUT_S = 60  # a dead node's pods never confirm they stopped: do not wait long for them
CONTACT_WAIT_S = 30.0
LEAVE_TIMEOUT_S = 600
HAND_CLEAN = (f"as root there, run {launcher_path(Path(DEFAULT_STATE_DIR))} uninstall --yes (the installer the node "
              "kept), or ./install uninstall from an unpacked bundle")


def drain(ctx: PhaseInputs, node: str) -> None:
    phase = f"/drain/{node}"
    force = ctx.options.force
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


def leave(ctx: PhaseInputs, node: str) -> None:
    """The node's agent removes k3s and the rest; with `force`, an agent that cannot do it is
    skipped with a warning naming the command that cleans the host by hand."""
    phase = f"/leave/{node}"
    hub = hub_of(ctx)
    try:
        hub.wait_connected(node, CONTACT_WAIT_S)
        hub.run(node, "leave", {"phase": phase}, LEAVE_TIMEOUT_S)
    except AirliftError as exc:
        why = exc.message.removeprefix(f"Node {node}: ")
        if not ctx.options.force:
            raise AirliftError(
                f"Node {node} could not leave: {why}",
                details=exc.details,
                hint=f"bring {node} and its {AGENT} service back (systemctl start {AGENT} there); "
                     f"or take it out without it: ./install remove {node} --force") from exc
        ctx.bus.log_line(f"Node {node} did not leave by itself ({why}); going on because of --force. "
                         f"Clean that host by hand: {HAND_CLEAN}", "warn", phase=phase, clean_by_hand=node)
        return
    ctx.bus.log_line(f"Node {node} removed k3s; it now uninstalls the rest and its agent stops", phase=phase)


def delete(ctx: PhaseInputs, node: str) -> None:
    phase = f"/delete/{node}"
    ctx.runtime.delete_node(node)
    hub_of(ctx).nodes.remove(node)
    ctx.monitoring.remove_node(node)
    ctx.host.remove(StateDir(ctx.state_dir).node_facts(node))
    ctx.bus.log_line(f"Node {node} deleted from Kubernetes and from the cluster's nodes", phase=phase)


def hub_of(ctx: PhaseInputs) -> AgentHub:
    """The cluster controller's agent listener, which a remove runs in."""
    if ctx.agents is None:
        raise AirliftError("The remove operation needs the cluster controller's agent listener",
                           hint=f"run it through ./install remove NODE (the {CONTROLLER} service)")
    return ctx.agents
