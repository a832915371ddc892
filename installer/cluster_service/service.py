"""The day-2 services and their command lines: `airlift-cluster` (the controller, on the first
master) and `airlift-agent` (the persistent agent, on every other node). Both run the installer
kept in the state directory, so they work after the bundle folder is deleted."""

from __future__ import annotations

from pathlib import Path

from installer.host import Host
from installer.installer_copy import launcher_path
from installer.services import ServiceManager


def controller_argv(host: Host, state_dir: Path) -> list[str]:
    return [str(launcher_path(state_dir)), "_cluster", "--state-dir", str(state_dir), "--root", str(host.root)]


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
