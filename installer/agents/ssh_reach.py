"""Nodes reached over SSH (answers `nodes: [{address, user, key, role}]`): the installer copies
itself there and starts the agent with the join command, so the host joins like any other. The
token goes in a 0600 file in the copy's folder (`--token-file`), removed with it.

Each host key is shown by its fingerprint and checked against the state folder's known_hosts:
recorded on first use, a changed key refused. A failed copy or start leaves nothing behind
(installer.ssh.provision).
"""

from __future__ import annotations

from pathlib import Path

from installer.agents.hub import AgentHub
from installer.events import Event, EventBus
from installer.ssh.known_hosts import KnownHosts
from installer.ssh.provision import provision, tree_files
from installer.ssh.session import SshTarget, connect

KNOWN_HOSTS_FILE = "known_hosts"
COPIED = ["install", "bin"]  # the frozen installer: the launcher and its folder
TOKEN_FILE = "join-token"  # 0600 in the copy's folder, so the token is on no command line


def reach(hub: AgentHub, spec: dict, bundle_dir: Path, state_dir: Path, bus: EventBus) -> None:
    """Log in to the host `spec` names, copy the installer there and start its agent."""
    target = SshTarget(address=spec["address"], user=spec.get("user", "root"), port=int(spec.get("port", 22)),
                       key_path=Path(spec["key"]))
    with connect(target, KnownHosts(Path(state_dir) / KNOWN_HOSTS_FILE)) as session:
        trust = "recorded on first use" if session.first_use else "matches the recorded key"
        bus.emit(Event("node", "ssh", f"{target.label}: host key {session.fingerprint} ({trust})",
                       data={"address": target.address, "fingerprint": session.fingerprint,
                             "first_use": session.first_use}))
        argv = ["install", "join", f"{hub.address}:{hub.port}", "--token-file", f"./{TOKEN_FILE}",
                "--fingerprint", hub.fingerprint, "--advertise-addr", target.address, "--remove-when-done"]
        if spec.get("role"):
            argv += ["--role", spec["role"]]
        done = provision(session, tree_files(Path(bundle_dir), COPIED), argv,
                         bus.progress(None, "bytes", f"Copying the installer to {target.address}"),
                         secrets={TOKEN_FILE: hub.token})
        bus.log_line(f"Agent started on {target.label} (pid {done.pid}, log {done.log_path})")
