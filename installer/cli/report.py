"""`./install report [-o FILE]`: the support report, one redacted .tar.gz to send the vendor.

On the first master it holds the whole cluster: this host and Kubernetes directly, each other node
through its agent, which the cluster service (airlift-cluster) reaches with the admin token. A node
that does not answer in time is named in the report; a cluster service that does not answer
leaves this host's part and Kubernetes. On any other node it holds that node alone.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from installer.checks.result import size
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

from .commands import require_root, root, state_dir
from .remove import controller_client
from .render import TerminalRenderer

NODE_TIMEOUT_S = 60


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


def cmd_report(args: argparse.Namespace, console: Console) -> int:
    require_root("collect the support report (it reads the install's state and logs)")
    folder, host = state_dir(args), Host(root(args))
    paths = StateDir(folder)
    if PlanStore(folder).load() is None and not paths.join_token.is_file():
        raise AirliftError(f"Nothing is installed with the state directory {folder}",
                           hint="run ./install report on a host of the install, with --state-dir if it used "
                                "another state folder")
    services = manager_for(host, folder)
    timeout = float(getattr(args, "timeout", None) or NODE_TIMEOUT_S)
    remote = ControllerRemote(controller_client(folder), services, timeout) if paths.admin_token.is_file() else None
    bus = EventBus()
    renderer = TerminalRenderer(console)
    bus.add_sink(renderer)
    try:
        report = collect_report(host, services, folder, bus, remote, unpack_files)
    finally:
        renderer.close()
    out = Path(getattr(args, "output", None) or f"{report.top}.tar.gz").resolve()
    written = write_archive(out, report.top, report.files)
    wrong = len(report.findings)
    console.print(f"[green]✓[/] Support report written to {out} ({size(written)}, readable by root only); "
                  + (f"[yellow]{wrong} thing(s) look wrong[/], listed in its summary.txt." if wrong
                     else "nothing looks wrong (its summary.txt says what was checked)."), highlight=False)
    console.print("Next: send this file to the vendor. It holds no token, password or private key: "
                  "redactions.txt inside lists what was removed, and from which file.", highlight=False)
    return 0
