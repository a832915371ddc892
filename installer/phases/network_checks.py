"""Phase /checks/network: the checks across nodes, once every node passed its own checks and
before anything is installed (so nothing else listens on the nodes' ports yet). Adding a node
to the installed cluster runs them as /checks/network/<node>, where the cluster's nodes are
running: they open no listener, the new node connects to their TCP ports only.

Every node, the installer's own host included, takes part in rounds run on all nodes at once:
listen on its ports; dial every port the others listen on (`network-ports`); send to the next
node of a ring for at most SEND_SECONDS or SEND_MAX_BYTES (`network-bandwidth`, when a profile
sets network.minTransferRate); close. The clock offsets the agents' answers carry give the drift
between every pair of nodes (`clock-drift-pairs`). Each check can be skipped by its id.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from installer.agent_hub import AgentHub
from installer.checks import CheckResult
from installer.checks import network as net
from installer.checks.result import plural
from installer.errors import AirliftError
from installer.events import Event, EventBus
from installer.network_probe import ProbeSession
from installer.phases.checks import ChecksFailed
from installer.phases.inputs import PhaseInputs

PHASE = "/checks/network"
ROUND_TIMEOUT_S = 600
SEND_SECONDS = 2.0
SEND_MAX_BYTES = 64 << 20

Call = Callable[[net.Member, dict], dict]


def execute(ctx: PhaseInputs, node: str | None = None) -> None:
    """/checks/network across every node of the install; with `node`, /checks/network/<node> of
    adding it to the installed cluster, whose other nodes are running (see probe_cluster)."""
    if ctx.agents is None:
        raise AirliftError("The checks across nodes need the other nodes, but the installer is not listening "
                           "for them", hint="run ./install --resume with the same answers")
    members = members_of(ctx, ctx.agents)
    running = [m.name for m in members if m.name != node] if node else []
    check_cluster(members, ctx.agents, set(ctx.answers.skip_checks), ctx.bus,
                  phase=f"{PHASE}/{node}" if node else PHASE, running=running)


def check_cluster(members: Sequence[net.Member], hub: AgentHub, skip: set[str], bus: EventBus, *,
                  phase: str = PHASE, running: Collection[str] = ()) -> list[CheckResult]:
    """The checks across `members`: the first is this host, probed here; the others through their
    agents (`running`: those of an installed cluster, see probe_cluster). One check event per
    result; ChecksFailed when one fails."""
    local = ProbeSession(members[0].address)

    def call(member: net.Member, args: dict) -> dict:
        if member is members[0]:
            return local.handle(args)
        return hub.run(member.name, "probe", {**args, "phase": phase}, ROUND_TIMEOUT_S)

    try:
        results = probe_cluster(members, call, skip, partial(bus.log_line, phase=phase), running)
    finally:
        local.close()
    for r in results:
        bus.emit(Event("check", r.status, r.message, phase=phase,
                       data={"id": r.id, "severity": r.severity, "hint": r.hint}))
    failed = [r for r in results if r.status == "fail"]
    if failed:
        raise ChecksFailed(failed)
    return results


def members_of(ctx: PhaseInputs, hub: AgentHub) -> list[net.Member]:
    """The installer's host (the first master) and every joined node, in the order they joined."""
    a = ctx.answers

    def member(name: str, address: str, profile_name: str, first: bool) -> net.Member:
        profile = ctx.manifest.profiles[profile_name]
        master = profile.service_role == "master"
        ranges = net.node_ports(profile, master=master, first=first,
                                registry_port=a.registry_port, api_port=a.api_port,
                                exporter_port=a.exporter_port)
        return net.Member(name, address, net.sample_ports(ranges), profile.requirements.min_transfer_rate, master)

    return [member(ctx.node, ctx.address, str(a.profile), True),
            *(member(n.name, n.address, n.profile, False) for n in hub.nodes.nodes())]


def probe_cluster(members: Sequence[net.Member], call: Call, skip: set[str], log: Callable[..., None],
                  running: Collection[str] = ()) -> list[CheckResult]:
    """Run the rounds on every member through `call`; the three verdicts (or their skips).
    `running` members (adding a node to an installed cluster) listen on none of their ports,
    which their services hold: the others connect to them only; the bandwidth is measured in a
    ring of the first member and the others; no port or clock is checked between two of them."""
    ringed = [m for i, m in enumerate(members) if i == 0 or m.name not in running]
    want_ports = net.PORTS_ID not in skip
    want_rate = net.BANDWIDTH_ID not in skip and net.bandwidth_required(ringed)
    try:
        opened = _round(members, call, lambda m: {
            "action": "listen", "bandwidth": want_rate and m in ringed,
            "ports": [list(p) for p in m.ports] if want_ports and m.name not in running else []})
        for m in members:
            for protocol, port, why in opened[m.name]["refused"]:
                log(f"{m.name} could not listen on {protocol}/{port} ({why}); its own port check covers it", "warn")
        ports = _ports(members, call, opened, running, log) if want_ports else net.skipped(net.PORTS_ID)
        if want_rate:
            log(f"Then each of the {len(ringed)} nodes sends to the next of a ring for up to {SEND_SECONDS:.0f} s")
        rate = _bandwidth(ringed, call, opened) if want_rate else (
            net.skipped(net.BANDWIDTH_ID) if net.BANDWIDTH_ID in skip else net.bandwidth_result([], ringed))
    finally:
        _round(members, call, lambda m: {"action": "close"}, quiet=True)
    offsets = {m.name: float(opened[m.name].get("clock_offset_s") or 0.0) for m in members}
    clock = (net.skipped(net.CLOCK_PAIRS_ID) if net.CLOCK_PAIRS_ID in skip
             else net.clock_pairs_result(offsets, running=running))
    return [ports, rate, clock]


def _ports(members: Sequence[net.Member], call: Call, opened: dict[str, dict], running: Collection[str],
           log: Callable[..., None]) -> CheckResult:
    listening = {name: [(p, int(n)) for p, n in data["listening"]] for name, data in opened.items()}
    targets = net.dial_targets(members, listening, running)
    dials = sum(len(t["ports"]) for mine in targets.values() for t in mine)
    log(f"Each of the {len(members)} nodes dials the ports of the others "
        f"({plural(dials, 'connection')})")
    dialled = _round(members, call, lambda m: {"action": "dial", "targets": targets[m.name]})
    failures: list[net.Unreachable] = []
    closed = 0
    for m in members:
        failed, refused = net.unreachable(m.name, dialled[m.name]["dials"])
        failures += failed
        closed += refused
    attempted = sum(len(dialled[m.name]["dials"]) for m in members)
    return net.ports_result(failures, attempted, len(members), closed=closed,
                            udp_untested=net.untested_udp(members, running))


def _bandwidth(members: Sequence[net.Member], call: Call, opened: dict[str, dict]) -> CheckResult:
    receiver = {s.name: r for s, r in net.ring(members)}

    def send(m: net.Member) -> dict:
        to = receiver[m.name]
        return {"action": "send", "address": to.address, "port": opened[to.name]["bandwidth_port"],
                "seconds": SEND_SECONDS, "max_bytes": SEND_MAX_BYTES}

    sent = _round(members, call, send)
    transfers = [net.Transfer(m.name, receiver[m.name].name, int(sent[m.name].get("bytes", 0)),
                              float(sent[m.name].get("seconds", 0.0)), sent[m.name].get("error"))
                 for m in members]
    return net.bandwidth_result(transfers, members)


def _round(members: Sequence[net.Member], call: Call, args: Callable[[net.Member], dict],
           quiet: bool = False) -> dict[str, dict]:
    """`call` on every member at once; their answers by name. The first failure (in member
    order) is raised once all have answered, unless `quiet` (closing is best effort)."""
    with ThreadPoolExecutor(max_workers=max(1, len(members)), thread_name_prefix="airlift-network") as pool:
        futures = {m.name: pool.submit(call, m, args(m)) for m in members}
    answers: dict[str, dict] = {}
    for name, future in futures.items():
        error = future.exception()
        if error is not None and not quiet:
            raise error
        answers[name] = future.result() if error is None else {}
    return answers
