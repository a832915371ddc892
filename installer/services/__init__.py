"""Long-running services (the registry, k3s) that outlive the installer and restart on crash.

Where systemd is PID 1 a service is a systemd unit; elsewhere (containers, root prefixes) it is run
by Airlift's own supervisor. Both honour the same small protocol, so callers never branch. The
manager is built once by whoever owns the host and the state directory (the engine, the cluster
service, the node agent, the CLI) and handed to those that run services (registry, runtime).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from installer.host import Host


class ServiceManager(Protocol):
    """Install, start, stop and remove named services."""

    def install(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None,
                restart: bool = True) -> None: ...

    def start(self, name: str) -> None: ...

    def stop(self, name: str) -> None: ...

    def is_running(self, name: str) -> bool: ...

    def remove(self, name: str) -> None: ...

    def log_tail(self, name: str, lines: int = 15) -> str:
        """The last `lines` lines of the service's output, for failure details ("" when none)."""

    def log_where(self, name: str) -> str:
        """Where the operator reads the whole log: a file, or the command that shows it."""


def manager_for(host: Host, state_dir: Path | None = None) -> ServiceManager:
    """The manager that fits `host`: systemd when it runs as PID 1, else the supervisor, launched
    by the installer kept in `state_dir` once bootstrap made it (else by this running installer)."""
    if host.systemd_running():
        from installer.services.systemd import SystemdServices

        return SystemdServices(host)
    from installer.services.supervised import SupervisedServices

    return SupervisedServices(host, state_dir)
