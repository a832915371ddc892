"""Every operation's plan, built here and nowhere else: install, expand, remove, upgrade, rollback.

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
    ("/monitoring", "Start node_exporter, Prometheus and Alertmanager (loopback) with Airlift's alert rules",
     ["/cluster-service"]),
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
    monitoring = [Phase(f"/monitoring/{n}", f"Start node {n}'s node_exporter and scrape it",
                        ["/monitoring", f"/runtime/{n}"], n) for n in others]
    phases["/bootstrap"].requires += [p.id for p in checks] + [network.id]
    phases["/app"].requires += [p.id for p in runtime]
    ordered = [phases["/checks"], *checks, network, phases["/bootstrap"], *distribute, phases["/registry"],
               phases["/runtime"], *runtime, phases["/app"], phases["/cluster-service"], phases["/monitoring"],
               *monitoring]
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
    phases.append(Phase(f"/monitoring/{node}", f"Start node {node}'s node_exporter and scrape it",
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
        (f"/delete/{node}", f"Delete node {node} from Kubernetes, from the cluster's nodes and from the "
                            "monitored ones", first),
    ]
    if "postNodeRemove" in hooks:
        steps.append(("/hooks/postNodeRemove", "Run the application's postNodeRemove hook", first))
    phases: list[Phase] = []
    for phase_id, description, where in steps:
        phases.append(Phase(phase_id, description, [phases[-1].id] if phases else [], where))
    return Plan(operation="remove", phases=phases)


def _chained(groups: list[list[tuple[str, str, str]]]) -> list[Phase]:
    """Phases from groups of (id, description, node): each phase of a group requires every phase
    of the group before it, so the phases of one group (other nodes' /checks) may run together."""
    phases: list[Phase] = []
    before: list[str] = []
    for group in groups:
        phases += [Phase(i, d, list(before), n) for i, d, n in group]
        before = [i for i, _, _ in group] or before
    return phases


def _runtime_steps(nodes: Sequence[str], to: str) -> list[list[tuple[str, str, str]]]:
    """/runtime/<node> one node at a time, in the order given (masters first)."""
    return [[(f"/runtime/{n}", f"Move node {n} to the {to} runtime: cordon, drain, swap k3s and its "
              "air-gap images, Ready, uncordon (skipped when the runtime did not change)", n)] for n in nodes]


def build_upgrade_plan(first: str, others: Sequence[str] = (), hooks: Collection[str] = ()) -> Plan:
    """Moving the cluster of `first` (the first master, where the upgrade runs) and of `others`
    (its other nodes, masters first) to a new version; the update hooks among `hooks` (the new
    manifest's) run where Gravity ran them. Nothing is changed before /registry, and nothing is
    removed before /app, so a failure up to there leaves the installed version running."""
    groups = [
        [("/previous", "Keep the installed version (bundle index, resources, installer) for a rollback", first)],
        [("/checks", "Check this host against the new version's node profile, and the room for its new images",
          first)],
        [(f"/checks/{n}", f"Check node {n} against the new version's node profile", n) for n in others],
        [("/registry", "Copy the new version's new image blobs into the registry and verify them through its API",
          first)],
        [(f"/distribute/{n}", f"Send node {n} the new version's runtime and installer", n) for n in others],
    ]
    if "preUpdate" in hooks:
        groups.append([("/hooks/preUpdate", "Run the new version's preUpdate hook", first)])
    groups += _runtime_steps([first, *others], "new")
    groups.append([("/app", "Apply the new version's resources, delete the ones it no longer has, run its "
                    "update hook", first)])
    if "postUpdate" in hooks:
        groups.append([("/hooks/postUpdate", "Run the new version's postUpdate hook", first)])
    groups += [[("/installer", "Keep the new installer on every node and the new bundle index, and restart the "
                "cluster service and the agents with them", first)],
               [("/gc", "Delete the image blobs and runtime files of versions older than the previous one, "
                "on every node", first)]]
    return Plan(operation="upgrade", phases=_chained(groups))


def build_rollback_plan(first: str, nodes: Sequence[str] = (), hooks: Collection[str] = ()) -> Plan:
    """Taking the cluster of `first` back to the version before the last upgrade: the `rollback`
    hook when `hooks` (the new manifest's) has it, the previous resources, the previous images
    (still in the registry), the previous runtime on `nodes` (those whose runtime the upgrade
    reached, masters first), then the previous installer and bundle index."""
    others = [n for n in nodes if n != first]
    groups: list[list[tuple[str, str, str]]] = []
    if "rollback" in hooks:
        groups.append([("/hooks/rollback", "Run the new version's rollback hook", first)])
    groups += [
        [("/app", "Apply the previous version's resources again and delete the ones the new version added", first)],
        [("/registry", "Check that the registry still serves every image of the previous version", first)],
        [(f"/distribute/{n}", f"Send node {n} the previous version's runtime", n) for n in others],
    ]
    groups += _runtime_steps(nodes, "previous")
    groups.append([("/installer", "Put the previous installer back on every node and the previous bundle index, "
                    "and restart the cluster service and the agents with them", first)])
    return Plan(operation="rollback", phases=_chained(groups))
