"""Probe the ports an install needs: try to bind each one, and name whoever holds it."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import psutil

from installer.facts.record import BusyPort, PortProbe
from installer.ports import (
    API_PORT,
    EXPORTER_PORT,
    FLANNEL_VXLAN_PORT,
    KUBELET_PORT,
    REGISTRY_PORT,
    WIZARD_PORT,
)

_KINDS = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM}


@dataclass(frozen=True)
class PortNeed:
    """Ports first..last that must be free on the host, and who needs them (shown to the operator)."""

    protocol: str   # "tcp" | "udp"
    first: int
    last: int
    purpose: str


def airlift_ports(registry: int = REGISTRY_PORT, wizard: int = WIZARD_PORT, api: int = API_PORT,
                  exporter: int = EXPORTER_PORT,
                  first_master: tuple[int, int, int, int] | None = None) -> list[PortNeed]:
    """The ports Airlift itself uses; the answers may move all but kubelet's and flannel's.
    `first_master` (Prometheus, Alertmanager, the registry's metrics, the control panel) are the
    first master's alone."""
    needs = [
        PortNeed("tcp", registry, registry, "image registry"),
        PortNeed("tcp", wizard, wizard, "installer wizard"),
        PortNeed("tcp", api, api, "Kubernetes API"),
        PortNeed("tcp", KUBELET_PORT, KUBELET_PORT, "kubelet"),
        PortNeed("udp", FLANNEL_VXLAN_PORT, FLANNEL_VXLAN_PORT, "flannel VXLAN"),
        PortNeed("tcp", exporter, exporter, "node exporter"),
    ]
    if first_master is not None:
        names = ("Prometheus", "Alertmanager", "registry metrics", "control panel")
        needs += [PortNeed("tcp", port, port, name) for port, name in zip(first_master, names, strict=True)]
    return needs


def probe_ports(needs: Iterable[PortNeed]) -> list[PortProbe]:
    """One probe per distinct range; the purposes of duplicate needs are joined."""
    purposes: dict[tuple[str, int, int], list[str]] = {}
    for need in needs:
        names = purposes.setdefault((need.protocol, need.first, need.last), [])
        if need.purpose not in names:
            names.append(need.purpose)
    holders = _holders()
    return [_probe_range(key, ", ".join(names), holders) for key, names in sorted(purposes.items())]


def _probe_range(key: tuple[str, int, int], purpose: str, holders: dict[tuple[str, int], int]) -> PortProbe:
    protocol, first, last = key
    busy: list[BusyPort] = []
    for port in range(first, last + 1):
        error = _try_bind(protocol, port)
        if error is None:
            continue
        if error.errno != errno.EADDRINUSE:
            return PortProbe(protocol, first, last, purpose, busy, error=f"port {port}: {error.strerror}")
        pid = holders.get((protocol, port))
        busy.append(BusyPort(port, pid, _process_name(pid)))
    return PortProbe(protocol, first, last, purpose, busy)


def _try_bind(protocol: str, port: int) -> OSError | None:
    """None when the port could be bound on every IPv4 address, else the error binding raised."""
    sock = socket.socket(socket.AF_INET, _KINDS[protocol])
    try:
        # SO_REUSEADDR ignores sockets in TIME_WAIT, which would not stop a server binding.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", port))
    except OSError as exc:
        return exc
    finally:
        sock.close()
    return None


def _holders() -> dict[tuple[str, int], int]:
    """(protocol, port) -> PID of the listening (TCP) or bound (UDP) socket, where visible."""
    found: dict[tuple[str, int], int] = {}
    try:
        conns = psutil.net_connections(kind="inet")
    except (psutil.AccessDenied, OSError):
        return found
    for conn in conns:
        protocol = "tcp" if conn.type == socket.SOCK_STREAM else "udp"
        if protocol == "tcp" and conn.status != psutil.CONN_LISTEN:
            continue
        if conn.laddr and conn.pid:
            found.setdefault((protocol, conn.laddr.port), conn.pid)
    return found


def _process_name(pid: int | None) -> str | None:
    if pid is None:
        return None
    try:
        name: str = psutil.Process(pid).name()
        return name
    except psutil.Error:
        return None
