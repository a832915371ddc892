"""The day-2 services and their command lines: `airlift-cluster` (the controller, on the first
master), `airlift-panel` (the control panel, on the first master) and `airlift-agent` (the
persistent agent, on every other node). All run the installer kept in the state directory, so they
work after the bundle folder is deleted."""

from __future__ import annotations

from pathlib import Path

from installer.host import Host
from installer.installer_copy import launcher_path
from installer.services import ServiceManager
from installer.services.names import CONTROLLER, PANEL


def controller_argv(host: Host, state_dir: Path) -> list[str]:
    return [str(launcher_path(state_dir)), "_cluster", "--state-dir", str(state_dir), "--root", str(host.root)]


def panel_argv(host: Host, state_dir: Path) -> list[str]:
    """`_panel`: the kept installer's entry serves the control panel (panel/); the engine only
    names the command, it never loads the panel's code."""
    return [str(launcher_path(state_dir)), "_panel", "--state-dir", str(state_dir), "--root", str(host.root)]


def start_day_two(services: ServiceManager, host: Host, state_dir: Path) -> None:
    """(Re)start the first master's services, each on the installer now kept: the controller, then
    the control panel."""
    start(services, CONTROLLER, controller_argv(host, state_dir))
    start(services, PANEL, panel_argv(host, state_dir))


def agent_argv(host: Host, state_dir: Path, installer: str, fingerprint: str, token_file: Path,
               address: str) -> list[str]:
    """`join --stay` as the same node: the token in a 0600 file, never on the command line."""
    return [str(launcher_path(state_dir)), "join", installer, "--token-file", str(token_file),
            "--fingerprint", fingerprint, "--advertise-addr", address, "--state-dir", str(state_dir),
            "--root", str(host.root), "--stay"]


def start(services: ServiceManager, name: str, argv: list[str]) -> None:
    """(Re)install and start service `name`; a running one restarts with the new command line."""
    stop(services, name)
    services.install(name, argv)
    services.start(name)


def stop(services: ServiceManager, name: str) -> None:
    """Stop service `name` if it runs (its definition stays)."""
    if services.is_running(name):
        services.stop(name)
