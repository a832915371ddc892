"""Checks across nodes, as pure functions: which ports each node opens and which the others dial,
the bandwidth ring, and the verdicts on what the probes measured (installer/network_probe.py does
the socket work, installer/phases/network_checks.py runs the rounds).

    members = [Member("node-1", "10.0.0.1", sample_ports(ranges), min_rate), ...]
    dials = dial_targets(members, listening)          # who dials what
    ports_result(failures, attempted)                 # -> CheckResult "network-ports"

Large port ranges are sampled (first, last and a few between): a firewall opens or closes whole
ranges, so their ends and middle show a closed range, while dialling every port of a wide range
from each of 50 nodes would open hundreds of thousands of connections.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from installer.checks.result import CheckResult, passed, plural, problem, size
from installer.facts import airlift_ports
from installer.manifest.models import NodeProfile, PortRange
from installer.ports import ETCD_CLIENT_PORT, ETCD_PEER_PORT, EXPORTER_PORT

PORTS_ID = "network-ports"
BANDWIDTH_ID = "network-bandwidth"
CLOCK_PAIRS_ID = "clock-drift-pairs"
MAX_PAIR_DRIFT_S = 0.3
# A range of more ports than this is sampled: its first, last and evenly spaced ports between.
SAMPLE_EVERY_UP_TO = 5
SHOWN = 3  # failures named in a message; the rest are counted
REFUSED = "connection refused"  # what a dial says of a port nobody listens on (installer/network_probe.py)

Port = tuple[str, int]  # ("tcp", 10250)

# Airlift's own ports that other nodes dial, and on which nodes: the kubelet and flannel's VXLAN
# on every node, the Kubernetes API on masters, the image registry on the first master.
BETWEEN_NODES = {"kubelet": "every", "flannel VXLAN": "every", "Kubernetes API": "master",
                 "image registry": "first", "node exporter": "every"}
# Embedded etcd's client and peer ports: every master opens them, and only the other masters dial
# them (k3s's inbound rules: "TCP 2379-2380, servers only"), so a firewall may keep workers out.
ETCD = PortRange("tcp", ETCD_CLIENT_PORT, ETCD_PEER_PORT)
MASTERS_ONLY = frozenset(("tcp", p) for p in range(ETCD.first, ETCD.last + 1))


@dataclass(frozen=True)
class Member:
    """A node taking part in the checks across nodes: where the others reach it, the ports it
    opens for them, its profile's minimum transfer rate (bytes/s; None: no demand), and whether
    it is a master (only masters dial the MASTERS_ONLY ports, and only on masters)."""

    name: str
    address: str
    ports: tuple[Port, ...]
    min_rate: int | None = None
    master: bool = False


@dataclass(frozen=True)
class Unreachable:
    """`source` could not reach `target` on `port`, and why (as the socket said it)."""

    source: str
    target: str
    port: Port
    error: str

    def line(self) -> str:
        return (f"{self.source} cannot reach {self.target} on {self.port[0]}/{self.port[1]}: {self.error} — "
                "open this port between the nodes in the firewall")


@dataclass(frozen=True)
class Transfer:
    """What `sender` measured sending to `receiver`: bytes the receiver counted, in `seconds`;
    `error` when the transfer could not run at all."""

    sender: str
    receiver: str
    bytes: int = 0
    seconds: float = 0.0
    error: str | None = None

    @property
    def rate(self) -> float:
        return self.bytes / self.seconds if self.seconds > 0 else 0.0


def node_ports(profile: NodeProfile, *, master: bool, first: bool, registry_port: int,
               api_port: int, exporter_port: int = EXPORTER_PORT) -> list[PortRange]:
    """The port ranges a node of `profile` must be reachable on from the other nodes: the
    profile's, the Airlift ports other nodes use (the wizard's is for the operator only), and on
    a master embedded etcd's, which only the other masters dial."""
    ours = [PortRange(need.protocol, need.first, need.last) for need in airlift_ports(registry_port, api=api_port, exporter=exporter_port)
            if (where := BETWEEN_NODES.get(need.purpose)) == "every" or (where == "master" and master)
            or (where == "first" and first)]
    return list(dict.fromkeys([*profile.requirements.ports, *ours, *([ETCD] if master else [])]))


def sample_ports(ranges: Iterable[PortRange]) -> tuple[Port, ...]:
    """The ports dialled for `ranges`: every port of a small range; of a larger one its first,
    last and evenly spaced ports between, SAMPLE_EVERY_UP_TO in all."""
    out: list[Port] = []
    for r in ranges:
        count = r.last - r.first + 1
        if count <= SAMPLE_EVERY_UP_TO:
            picked = list(range(r.first, r.last + 1))
        else:
            step = (r.last - r.first) / (SAMPLE_EVERY_UP_TO - 1)
            picked = [r.first + round(i * step) for i in range(SAMPLE_EVERY_UP_TO)]
        out += [(r.protocol, p) for p in picked]
    return tuple(dict.fromkeys(out))


def dial_targets(members: Sequence[Member], listening: dict[str, list[Port]],
                 running: Collection[str] = ()) -> dict[str, list[dict]]:
    """Per member, the others it dials and on which ports: every port each other member listens on
    (a port it could not even open is left to its own port check). A `running` member is a node of
    the installed cluster whose services hold its ports, so it opens no listener: the others dial
    its TCP ports connect-only (UDP cannot be proven without a listener), and running members do
    not dial each other (they were checked when they were added). The MASTERS_ONLY ports are
    dialled from masters only."""
    def target(m: Member, o: Member) -> dict:
        def dialled(ports: Iterable[Port]) -> list[list]:
            return [list(p) for p in ports if m.master or tuple(p) not in MASTERS_ONLY]

        if o.name in running:
            return {"node": o.name, "address": o.address, "ports": dialled(p for p in o.ports if p[0] == "tcp"),
                    "connect_only": True}
        return {"node": o.name, "address": o.address, "ports": dialled(listening.get(o.name, []))}

    return {m.name: [t for o in members if o.name != m.name and not {m.name, o.name} <= set(running)
                     and (t := target(m, o))["ports"]]
            for m in members}


def untested_udp(members: Sequence[Member], running: Collection[str]) -> int:
    """The UDP ports of running members: nobody dials them (nothing would echo a datagram)."""
    return sum(1 for m in members if m.name in running for p in m.ports if p[0] == "udp")


def unreachable(source: str, dials: Iterable[dict]) -> tuple[list[Unreachable], int]:
    """The failed dials of `source`, and how many connect-only dials were refused: a running
    node's kernel refusing a port nobody serves yet (an app's NodePort) shows the path is open,
    so a refusal there is counted, not failed; a timeout or an unreachable host fails."""
    failures, closed = [], 0
    for d in dials:
        if d.get("connect_only") and d["error"] == REFUSED:
            closed += 1
        elif d["error"]:
            failures.append(Unreachable(source, d["node"], (d["protocol"], d["port"]), d["error"]))
    return failures, closed


def ring(members: Sequence[Member]) -> list[tuple[Member, Member]]:
    """(sender, receiver) pairs where member i sends to member i+1 and the last to the first:
    every node's link is measured once in each direction, all at once, in N transfers."""
    if len(members) < 2:
        return []
    return [(m, members[(i + 1) % len(members)]) for i, m in enumerate(members)]


def bandwidth_required(members: Sequence[Member]) -> bool:
    return any(m.min_rate for m in members)


def skipped(check_id: str) -> CheckResult:
    return CheckResult(check_id, "fail", "skipped", "Skipped at the operator's request.")


def ports_result(failures: Sequence[Unreachable], attempted: int, nodes: int, *, closed: int = 0,
                 udp_untested: int = 0) -> CheckResult:
    """One verdict for every dial: the first few failures named, the rest counted; `closed`
    connect-only dials refused and `udp_untested` UDP ports of running nodes are said."""
    if not failures:
        notes = "".join([f"; {plural(closed, 'port')} of running nodes refused the connection (nothing "
                         "serves it yet; the host answered)" if closed else "",
                         f"; {plural(udp_untested, 'UDP port')} of running nodes not tested (their services "
                         "hold them, and only a listener of the check can echo a datagram)" if udp_untested else ""])
        return passed(PORTS_ID, "fail", f"Each of the {nodes} nodes reaches every other on the ports it needs "
                                        f"({plural(attempted, 'connection')} tried{notes}).")
    return problem(PORTS_ID, "fail", _listed([f.line() for f in failures]),
                   "Open these ports between the nodes in the firewall (see docs/multinode.md), "
                   f"then run ./install --resume; or skip this check with --skip-check {PORTS_ID}.")


def bandwidth_result(transfers: Sequence[Transfer], members: Sequence[Member]) -> CheckResult:
    """Each transfer of the ring against the higher minimum of its two nodes' profiles."""
    if not bandwidth_required(members):
        return passed(BANDWIDTH_ID, "fail", "Bandwidth between nodes: not required by any node profile.")
    rates = {m.name: m.min_rate or 0 for m in members}
    lines, slowest = [], None
    for t in transfers:
        need = max(rates.get(t.sender, 0), rates.get(t.receiver, 0))
        if t.error:
            lines.append(f"{t.sender} could not send to {t.receiver}: {t.error}")
        elif need and t.rate < need:
            lines.append(f"{t.sender} sends to {t.receiver} at {size(t.rate)}/s, below the required {size(need)}/s")
        if not t.error and (slowest is None or t.rate < slowest.rate):
            slowest = t
    if lines:
        return problem(BANDWIDTH_ID, "fail", _listed(lines),
                       "Connect the nodes through a faster network (check the links, duplex and switches), "
                       f"or skip this check with --skip-check {BANDWIDTH_ID}.")
    shown = f"; the slowest, {slowest.sender} to {slowest.receiver}, at {size(slowest.rate)}/s" if slowest else ""
    return passed(BANDWIDTH_ID, "fail", f"Bandwidth between nodes meets every profile's minimum{shown}.")


def clock_pairs_result(offsets: dict[str, float], limit_s: float = MAX_PAIR_DRIFT_S,
                       running: Collection[str] = ()) -> CheckResult:
    """|offset_i - offset_j| for every pair of nodes, each offset against the installer's clock;
    not between two `running` nodes (checked when they were added)."""
    pairs = sorted(((abs(offsets[a] - offsets[b]), a, b) for a, b in combinations(sorted(offsets), 2)
                    if not {a, b} <= set(running)), reverse=True)
    over = [f"the clocks of {a} and {b} are {drift * 1000:.0f} ms apart" for drift, a, b in pairs if drift > limit_s]
    if over:
        return problem(CLOCK_PAIRS_ID, "fail", _listed(over) + f" (at most {limit_s * 1000:.0f} ms allowed)",
                       "Synchronise the clocks of every host (NTP, chrony or systemd-timesyncd), "
                       "then run ./install --resume.")
    worst = f"; the widest gap is {pairs[0][0] * 1000:.0f} ms ({pairs[0][1]}, {pairs[0][2]})" if pairs else ""
    return passed(CLOCK_PAIRS_ID, "fail", f"The clocks of every pair of nodes agree within "
                                          f"{limit_s * 1000:.0f} ms{worst}.")


def _listed(lines: Sequence[str]) -> str:
    shown = "; ".join(lines[:SHOWN])
    rest = len(lines) - SHOWN
    return f"{shown}; and {rest} more" if rest > 0 else shown
