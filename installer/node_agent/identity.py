"""Who this node is to the installer: hostname, a stable identity, the address others reach, and
the versions of the installer and runtime it runs."""

from __future__ import annotations

import re
import socket
import uuid
from pathlib import Path

import psutil

from installer import __version__
from installer.facts.system import read_os_release
from installer.host import Host
from installer.installer_copy import kept_version
from installer.runtime.version import installed_k3s_version
from installer.statedir import StateDir


def identity(host: Host, state_dir: Path) -> str:
    """/etc/machine-id when it is a real one; else an id the agent keeps in its state folder, so
    the same host joining again is recognised either way."""
    try:
        machine = host.path("/etc/machine-id").read_text().strip()
    except OSError:
        machine = ""
    if re.fullmatch(r"[0-9a-f]{32}", machine):
        return machine
    path = StateDir(state_dir).node_id
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(uuid.uuid4().hex + "\n")
    return path.read_text().strip()


def route_address(target: str) -> str:
    """This host's address on the route to `target` (what the installer and peers reach)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((target, 9))  # UDP connect sends nothing; it only picks the route
        return str(s.getsockname()[0])


def summary() -> dict:
    """What the installer shows of a node as it joins (its full facts come with its checks)."""
    os_release = read_os_release(Path("/"))
    return {"os": os_release.pretty_name or os_release.id, "cpus": psutil.cpu_count() or 0,
            "ram_bytes": psutil.virtual_memory().total}


def versions(host: Host, state_dir: Path) -> dict[str, str | None]:
    """The installer this agent is (the node's kept copy, for the agent service), the application
    version it came with, and the k3s the node runs (None before its runtime is installed): the
    cluster service shows them per node, and an upgrade moves all three."""
    return {"installer_version": __version__, "app_version": kept_version(StateDir(state_dir).installer),
            "runtime_version": installed_k3s_version(host)}


def hostname() -> str:
    return socket.gethostname()
