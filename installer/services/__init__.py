"""Long-running services (the registry, k3s) that outlive the installer and restart on crash.

Where systemd is PID 1 a service is a systemd unit; elsewhere (containers, root prefixes) it is run
by Airlift's own supervisor. Both honour the same small protocol, so callers never branch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from installer.host import Host


class ServiceManager(Protocol):
    """Install, start, stop and remove named services."""

    def install(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None,
                restart: bool = True) -> None: ...

    def start(self, name: str) -> None: ...

    def stop(self, name: str) -> None: ...

    def is_running(self, name: str) -> bool: ...

    def remove(self, name: str) -> None: ...

    def log_path(self, name: str) -> str: ...


def manager_for(host: Host) -> ServiceManager:
    """The manager that fits `host`: systemd when it runs as PID 1, else the supervisor."""
    if host.systemd_running():
        from installer.services.systemd import SystemdServices

        return SystemdServices(host)
    from installer.services.supervised import SupervisedServices

    return SupervisedServices(host)
