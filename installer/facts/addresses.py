"""This host's network as the answers need it: its IPv4 interfaces and the address of its
default route. The answers take it as an input (installer.answers), so validating them never
probes the host; the snapshot offers the addresses to the wizard's settings screen."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

import psutil

ROUTE_TABLE = Path("/proc/net/route")


@dataclass(frozen=True)
class HostNetwork:
    """The IPv4 interfaces of this host, and the address of its default route (if any)."""

    interfaces: tuple[ipaddress.IPv4Interface, ...]
    default_addr: str | None

    @property
    def addresses(self) -> set[str]:
        return {str(i.ip) for i in self.interfaces}

    def reachable_addresses(self) -> list[str]:
        """The addresses other hosts may reach this one on (loopback left out), the default
        route's first: what an operator chooses the advertise address from."""
        others = sorted({str(i.ip) for i in self.interfaces if not i.ip.is_loopback} - {self.default_addr},
                        key=ipaddress.IPv4Address)
        return [self.default_addr, *others] if self.default_addr else others


def probe_network() -> HostNetwork:
    """Read this host's IPv4 interfaces (psutil) and which one carries the default route."""
    default_iface = default_route_iface(ROUTE_TABLE)
    interfaces: list[ipaddress.IPv4Interface] = []
    default_addr = None
    for name, addrs in psutil.net_if_addrs().items():
        for addr in addrs:
            if addr.family != socket.AF_INET or not addr.netmask:
                continue
            interfaces.append(ipaddress.IPv4Interface(f"{addr.address}/{addr.netmask}"))
            if name == default_iface and default_addr is None:
                default_addr = addr.address
    return HostNetwork(tuple(interfaces), default_addr)


def default_route_iface(route_table: Path) -> str | None:
    """The interface of the IPv4 default route (destination and mask 00000000) in /proc/net/route.

    A black-hole route (interface "*") is passed over: no address comes with it, and k3s finds
    none on it either (the default-route check says so).
    """
    try:
        lines = route_table.read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        cols = line.split()
        whole_table = len(cols) < 8 or cols[7] == "00000000"
        if len(cols) > 2 and cols[1] == "00000000" and whole_table and cols[0] != "*":
            return cols[0]
    return None
