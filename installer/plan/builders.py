"""Every operation's plan, built here and nowhere else: install, expand, remove.

A builder only lists phases (ids, descriptions, requirements, the node each runs on); it runs
nothing and reads no host, so `./install plan` can print a plan before anything changes. The code
behind each phase id is found through the one table in installer/phases/table.py.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from installer.plan.model import Phase, Plan

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


def build_remove_plan(first: str, node: str, hooks: Collection[str] = ()) -> Plan:
    """Taking `node` out of the cluster run by `first` (the first master): drained, its k3s and
    the rest removed by its agent, then deleted; the node-remove hooks among `hooks` around it.
    The node's k3s goes before the delete, since a k3s agent still running would register the
    node again."""
    steps: list[tuple[str, str, str]] = []
    if "preNodeRemove" in hooks:
        steps.append(("/hooks/preNodeRemove", "Run the application's preNodeRemove hook", first))
    steps += [
        (f"/drain/{node}", f"Drain node {node}: move its pods to the other nodes", first),
        (f"/leave/{node}", f"Remove k3s and everything Airlift put on node {node}", node),
        (f"/delete/{node}", f"Delete node {node} from Kubernetes and from the cluster's nodes", first),
    ]
    if "postNodeRemove" in hooks:
        steps.append(("/hooks/postNodeRemove", "Run the application's postNodeRemove hook", first))
    phases: list[Phase] = []
    for phase_id, description, where in steps:
        phases.append(Phase(phase_id, description, [phases[-1].id] if phases else [], where))
    return Plan(operation="remove", phases=phases)
