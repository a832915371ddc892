"""Make the support report into a file: the one function behind `./install report` and the control
panel's Support screen, so both hand the vendor the same report.

The other nodes are reached through the cluster service on this host (its admin action `collect`),
only on the first master (where the admin token is); elsewhere the report holds this node alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from installer.cluster_service.client import controller_client
from installer.errors import AirliftError
from installer.events import EventBus
from installer.host import Host
from installer.node_agent.client import AgentClient, ConnectionLost
from installer.plan import PlanStore
from installer.report.archive import unpack_files, write_archive
from installer.report.collect import NodeSilent, ServiceDown, collect_report
from installer.services import ServiceManager, manager_for
from installer.services.names import CONTROLLER
from installer.statedir import StateDir

NODE_TIMEOUT_S = 60


@dataclass(frozen=True)
class Written:
    """The report written: its file, size in bytes and how many things look wrong."""

    path: Path
    size: int
    wrong: int


class ControllerRemote:
    """The other nodes, through the cluster service on this host (the `collect` admin action)."""

    def __init__(self, client: AgentClient, services: ServiceManager, timeout: float) -> None:
        self.client, self.services, self.timeout = client, services, timeout

    def collect(self, node: str) -> dict:
        try:
            return self.client.call("collect", {"node": node, "timeout": self.timeout}, timeout=self.timeout + 15)
        except ConnectionLost as exc:
            if "refused" in str(exc) or not self.services.is_running(CONTROLLER):
                raise ServiceDown(f"the cluster service ({CONTROLLER}) does not answer on this host: {exc}") from exc
            raise NodeSilent(f"no answer within {self.timeout:.0f}s ({exc})") from exc
        except AirliftError as exc:
            raise NodeSilent(exc.message + (f" ({exc.hint})" if exc.hint else "")) from exc


def write_report(host: Host, state_dir: Path, bus: EventBus, out: Path,
                 timeout: float = NODE_TIMEOUT_S) -> Written:
    """Collect the report of the install in `state_dir` and write it to `out` (a folder: a file of
    the report's own name inside it). AirliftError when nothing is installed there."""
    paths = StateDir(state_dir)
    if PlanStore(state_dir).load() is None and not paths.join_token.is_file():
        raise AirliftError(f"Nothing is installed with the state directory {state_dir}",
                           hint="make the report on a host of the install, with --state-dir if it used "
                                "another state folder")
    services = manager_for(host, state_dir)
    remote = ControllerRemote(controller_client(state_dir), services, timeout) if paths.admin_token.is_file() else None
    report = collect_report(host, services, state_dir, bus, remote, unpack_files)
    path = (out / f"{report.top}.tar.gz" if out.is_dir() else out).resolve()
    return Written(path, write_archive(path, report.top, report.files), len(report.findings))
