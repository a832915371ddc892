"""The default route k3s needs to pick the node's address, and the pod and service ranges
against the host's networks: a range that covers a network the host reaches hides it from pods.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from installer.checks.result import CheckResult, Family, passed, problem
from installer.facts import Facts
from installer.manifest.models import NodeProfile

DEFAULT = ipaddress.IPv4Network("0.0.0.0/0")
# k3s's air-gap guide: a route through an interface, a dummy one where the network has no router.
# A black-hole route does not do: the kernel refuses connections through it before kube-proxy's
# rules can send them to a service's pods, and k3s finds no node address on it.
NO_ROUTE_FIX = ("Add one through an interface: ip route add default via ROUTER (your network's router). On a "
                "network without a router, add one through a dummy interface as k3s's air-gap guide does: "
                "ip link add dummy0 type dummy && ip link set dummy0 up && ip addr add 203.0.113.254/31 dev dummy0 "
                "&& ip route add default via 203.0.113.255 dev dummy0 metric 1000, and give this host's own "
                "address with --advertise-addr. Then make the route permanent in the host's network configuration.")
BLACK_HOLE_FIX = "Remove it (ip route del default). " + NO_ROUTE_FIX


def check_default_route(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    routes = facts.network.routes
    if routes is None:
        return [problem("default-route", "warn", "Cannot read this host's routes (/proc/net/route).",
                        "Check by hand with: ip route show default")]
    defaults = [r for r in routes if ipaddress.IPv4Network(r.destination) == DEFAULT]
    usable = next((r for r in defaults if r.iface != "*"), None)
    if usable is None and defaults:
        return [problem("default-route", "fail",
                        "This host's only default route is a black-hole route: the kernel refuses the host's "
                        "connections through it before kube-proxy can send them to a service's pods, and k3s "
                        "finds no node address on it.", BLACK_HOLE_FIX)]
    if usable is None:
        return [problem("default-route", "fail",
                        "This host has no default route: k3s needs one to find the node's address, even on "
                        "an air-gapped network.", NO_ROUTE_FIX)]
    via = f"via {usable.gateway} ({usable.iface})" if usable.gateway else f"on {usable.iface}"
    return [passed("default-route", "fail", f"Default route {via}.")]


def check_ranges(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    cluster = facts.cluster
    ranges = {"pod": ("pod-cidr", cluster.pod_cidr), "service": ("service-cidr", cluster.service_cidr)}
    nets: dict[str, ipaddress.IPv4Network] = {}
    results = []
    for kind, (key, value) in ranges.items():
        try:
            nets[kind] = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            results.append(problem(f"cidr-{kind}", "fail", f"The {kind} range {value} ({key}) is not a valid "
                                   f"IPv4 network: {exc}.", f"Give a network such as 10.42.0.0/16 as {key}."))
    for kind, net in nets.items():
        others = [n for k, n in nets.items() if k != kind]
        results.append(_check_range(facts, kind, ranges[kind][0], net, others))
    return results


def _check_range(facts: Facts, kind: str, key: str, net: ipaddress.IPv4Network,
                 others: list[ipaddress.IPv4Network]) -> CheckResult:
    cid, name = f"cidr-{kind}", f"The {kind} range {net} ({key})"
    clashes, wider = _clashes(facts, net, others)
    advertise = facts.cluster.advertise_addr
    if advertise and ipaddress.IPv4Address(advertise) in net:
        clashes.insert(0, f"the advertise address {advertise}")
    taken = _taken_networks(facts, others)
    free = _free_range(net, taken)
    fix = (f"Choose a range no network of the host uses, the same on every node: --{key} {free} "
           f"({key}: in the answers file).") if free else \
        f"Choose a private range no network of the host uses, the same on every node, as {key}."
    if clashes:
        return problem(cid, "fail", f"{name} overlaps {', '.join(clashes)}: pods would hide those hosts.", fix)
    if wider:
        return problem(cid, "warn", f"{name} lies inside {', '.join(wider)}: hosts of that network in {net} "
                       "would be unreachable from pods.", fix + " If no host uses those addresses, keep it.")
    return passed(cid, "fail", f"{name} overlaps no network of this host.")


def _clashes(facts: Facts, net: ipaddress.IPv4Network,
             others: list[ipaddress.IPv4Network]) -> tuple[list[str], list[str]]:
    """(what `net` overlaps outright, wider routes that merely contain it). A route of an
    interface's own network is named once, as that interface's network."""
    clashes = [f"the {o} range" for o in others if o.overlaps(net)]
    seen: set[ipaddress.IPv4Network] = set()
    for addr in facts.network.addresses:
        iface = ipaddress.IPv4Interface(addr.cidr)
        if not iface.ip.is_loopback and iface.network.overlaps(net) and iface.network not in seen:
            seen.add(iface.network)
            clashes.append(f"{iface.network} on {addr.iface}")
    wider: list[str] = []
    for route in facts.network.routes or []:
        dest = ipaddress.IPv4Network(route.destination)
        if dest == DEFAULT or dest.is_loopback or dest in seen or not dest.overlaps(net):
            continue
        seen.add(dest)
        (wider if dest.prefixlen < net.prefixlen else clashes).append(f"the route to {dest} ({route.iface})")
    return clashes, wider


def _taken_networks(facts: Facts, others: Iterable[ipaddress.IPv4Network]) -> list[ipaddress.IPv4Network]:
    taken = list(others)
    taken += [ipaddress.IPv4Interface(a.cidr).network for a in facts.network.addresses]
    taken += [ipaddress.IPv4Network(r.destination) for r in facts.network.routes or []
              if ipaddress.IPv4Network(r.destination) != DEFAULT]
    return taken


def _free_range(net: ipaddress.IPv4Network, taken: list[ipaddress.IPv4Network]) -> str | None:
    """A 10.x.0.0 range of the same size that overlaps nothing taken (10.44 and up)."""
    size = max(net.prefixlen, 16)
    for second in range(44, 256):
        candidate = ipaddress.IPv4Network(f"10.{second}.0.0/{size}")
        if not any(candidate.overlaps(t) for t in taken):
            return str(candidate)
    return None


DEFAULT_ROUTE = Family("default-route", "default-route",
                       "The host has a default route through an interface (not a black-hole one), which k3s needs to "
                       "find the node address and kube-proxy to reach services (fail)",
                       check_default_route)
ADDRESS_RANGES = Family("address-ranges", "cidr-pod, cidr-service",
                        "The pod and service ranges overlap no network of the host (interfaces, routes) nor "
                        "each other, and do not contain the advertise address", check_ranges)
