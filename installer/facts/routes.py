"""Routes, interface addresses and interface names: what the pod and service ranges must miss.

Routes come from `<system>/proc/net/route` (the kernel's main IPv4 table, black-hole routes
included), interface names from `<system>/sys/class/net`, so tests lay out a fixture tree.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from pathlib import Path

import psutil

from installer.facts.host_record import InterfaceAddress, NetworkFacts, Route

_RTF_GATEWAY = 0x2


def read_routes(system: Path) -> list[Route] | None:
    """The IPv4 routes, or None when the table cannot be read."""
    try:
        lines = (system / "proc/net/route").read_text(encoding="utf-8").splitlines()[1:]
    except OSError:
        return None
    routes = []
    for line in lines:
        cols = line.split()
        if len(cols) < 8:
            continue
        try:
            dest, gateway, mask = (_hex_ip(c) for c in (cols[1], cols[2], cols[7]))
            flags = int(cols[3], 16)
            network = ipaddress.IPv4Network(f"{dest}/{mask}", strict=False)
        except ValueError:
            continue
        routes.append(Route(str(network), cols[0], gateway if flags & _RTF_GATEWAY else None))
    return routes


def _hex_ip(text: str) -> str:
    """/proc/net/route writes addresses as little-endian hex words."""
    return socket.inet_ntoa(struct.pack("<I", int(text, 16)))


def read_links(system: Path) -> list[str]:
    """Every network interface's name, down ones included."""
    try:
        return sorted(p.name for p in (system / "sys/class/net").iterdir())
    except OSError:
        return []


def interface_addresses() -> list[InterfaceAddress]:
    """IPv4 addresses of the running system's interfaces, with their networks."""
    found = []
    for name, addrs in psutil.net_if_addrs().items():
        for addr in addrs:
            if addr.family == socket.AF_INET and addr.netmask:
                iface = ipaddress.IPv4Interface(f"{addr.address}/{addr.netmask}")
                found.append(InterfaceAddress(name, str(iface)))
    return sorted(found, key=lambda a: (a.iface, a.cidr))


def network_facts(system: Path) -> NetworkFacts:
    return NetworkFacts(read_routes(system), interface_addresses(), read_links(system))
