"""Plan = data: an ordered list of phases, each with requirements, a node and a state.

The plan is built by one small function and can be printed before anything runs
(`./install plan`). Executors live in installer/phases/; the runner joins the two by phase id.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field

PHASE_STATES = ("unstarted", "in_progress", "completed", "failed", "rolled_back")


@dataclass
class Phase:
    """One step of an operation; `error` says what failed, why, what to do and where the log is."""

    id: str
    description: str
    requires: list[str] = field(default_factory=list)
    node: str | None = None
    state: str = "unstarted"
    error: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Plan:
    operation: str
    phases: list[Phase]
    created: float = field(default_factory=time.time)

    def phase(self, phase_id: str) -> Phase:
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        raise KeyError(phase_id)

    @property
    def state(self) -> str:
        """The operation's state as the phases' states add up to."""
        states = {p.state for p in self.phases}
        if states == {"completed"}:
            return "completed"
        if "failed" in states:
            return "failed"
        if "in_progress" in states:
            return "in_progress"
        if states == {"unstarted"}:
            return "unstarted"
        return "interrupted"

    def to_dict(self) -> dict:
        return {
            "operation": self.operation,
            "created": self.created,
            "state": self.state,
            "phases": [p.to_dict() for p in self.phases],
        }

    @classmethod
    def from_dict(cls, d: dict) -> Plan:
        return cls(
            operation=d["operation"],
            created=d.get("created", 0.0),
            phases=[Phase(**p) for p in d["phases"]],
        )


INSTALL_PHASES: tuple[tuple[str, str, list[str]], ...] = (
    ("/checks", "Check this host against its node profile", []),
    ("/bootstrap", "Prepare the state directory and copy what the install needs", ["/checks"]),
    ("/registry", "Start the local registry and fill it with the bundle's images", ["/bootstrap"]),
    ("/runtime", "Start Kubernetes (k3s) offline and wait for the node to be Ready", ["/registry"]),
    ("/app", "Install the application and run its hooks", ["/runtime"]),
    ("/cluster-service", "Start the cluster service that lets nodes join and leave later", ["/app"]),
)


def build_install_plan(node: str, others: Sequence[str] = ()) -> Plan:
    """The install on this node (`node`, the first master) and on each of `others` (the nodes
    that joined): every other node is checked, receives the runtime and joins the cluster."""
    phases = {i: Phase(id=i, description=d, requires=list(r), node=node) for i, d, r in INSTALL_PHASES}
    if not others:
        return Plan(operation="install", phases=list(phases.values()))
    checks = [Phase(f"/checks/{n}", f"Check node {n} against its node profile", ["/checks"], n) for n in others]
    distribute = [Phase(f"/distribute/{n}", f"Send node {n} what it needs of the bundle", ["/bootstrap"], n)
                  for n in others]
    runtime = [Phase(f"/runtime/{n}", f"Join node {n} to the cluster and wait for it to be Ready",
                     ["/runtime", f"/distribute/{n}"], n) for n in others]
    network = Phase("/checks/network", "Check the nodes against each other: ports, bandwidth, clocks",
                    ["/checks", *(p.id for p in checks)])
    phases["/bootstrap"].requires += [p.id for p in checks] + [network.id]
    phases["/app"].requires += [p.id for p in runtime]
    ordered = [phases["/checks"], *checks, network, phases["/bootstrap"], *distribute, phases["/registry"],
               phases["/runtime"], *runtime, phases["/app"], phases["/cluster-service"]]
    return Plan(operation="install", phases=ordered)


def build_expand_plan(first: str, node: str, hooks: Collection[str] = ()) -> Plan:
    """Adding `node` to the installed cluster of `first` (the first master, where the hooks run):
    the install's per-node phases, the checks across nodes between `node` and the cluster's nodes
    before anything is sent, and the application's node-add hooks around the join (only those
    among `hooks`, the ones the manifest has)."""
    network = f"/checks/network/{node}"
    phases = [Phase(f"/checks/{node}", f"Check node {node} against its node profile", [], node),
              Phase(network, f"Check node {node} against the cluster's nodes: ports, bandwidth, clocks",
                    [f"/checks/{node}"], node),
              Phase(f"/distribute/{node}", f"Send node {node} what it needs of the bundle", [network], node)]
    if "preNodeAdd" in hooks:
        phases.append(Phase("/hooks/preNodeAdd", f"Run the preNodeAdd hook before node {node} joins",
                            [phases[-1].id], first))
    phases.append(Phase(f"/runtime/{node}", f"Join node {node} to the cluster and wait for it to be Ready",
                        [phases[-1].id], node))
    if "postNodeAdd" in hooks:
        phases.append(Phase("/hooks/postNodeAdd", f"Run the postNodeAdd hook now that node {node} is Ready",
                            [phases[-1].id], first))
    return Plan(operation="expand", phases=phases)
