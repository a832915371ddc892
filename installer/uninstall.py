"""`./install uninstall`: remove everything the install created, in the reverse order.

Each step is idempotent, so running it again (or after a half-finished install) is safe, and
the host ends as it was before the install: no services, no k3s files, no state directory.
"""

from __future__ import annotations

from pathlib import Path

from installer.events import Event, EventBus
from installer.host import Host
from installer.monitoring.paths import MonitoringPaths
from installer.phases.volumes import remove_created
from installer.registry import Registry
from installer.runtime import K3sRuntime
from installer.services import ServiceManager
from installer.services.names import DAY_TWO, MONITORING
from installer.statedir import StateDir


def remove_airlift_services(services: ServiceManager) -> None:
    """The day-2 services run the kept installer from the state directory: they go first."""
    for name in DAY_TWO:
        services.remove(name)


def remove_monitoring(host: Host, services: ServiceManager, state_dir: Path) -> None:
    """Alertmanager, Prometheus and node_exporter (whichever this node runs), then their files."""
    for name in MONITORING:
        services.remove(name)
    host.remove(MonitoringPaths.of(state_dir).root)
    host.remove(StateDir(state_dir).monitoring_credentials)


def uninstall(host: Host, services: ServiceManager, state_dir: Path, bus: EventBus) -> None:
    steps = (
        ("Stopping Airlift's cluster services", lambda: remove_airlift_services(services)),
        ("Stopping the monitoring services and removing their data", lambda: remove_monitoring(host, services, state_dir)),
        ("Stopping Kubernetes and removing k3s", lambda: K3sRuntime(host, services, state_dir).uninstall()),
        ("Stopping the registry and removing its storage", lambda: Registry(host, services, state_dir).uninstall()),
        ("Removing the volume folders the install created", lambda: remove_created(host, state_dir)),
        (f"Removing the state directory {state_dir}", lambda: host.remove(state_dir)),
    )
    bus.emit(Event("operation", "started", "Uninstalling"))
    for message, step in steps:
        bus.log_line(message)
        step()
    bus.emit(Event("operation", "completed", "Uninstalled: the host is as it was before the install"))
