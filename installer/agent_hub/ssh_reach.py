"""Nodes reached over SSH (answers `nodes: [{address, user, key | password: ask, role, port}]`):
the installer copies itself there and starts the agent with the join command, so the host joins
like any other. The token goes in a 0600 file in the copy's folder (`--token-file`), removed with it.

Each host key is shown by its fingerprint and checked against the state folder's known_hosts:
recorded on first use, a changed key refused. A failed copy or start leaves nothing behind
(installer.ssh.provision). Passwords and key passphrases stay in memory (installer.ssh.secrets).

The CLI reaches every node of the answers when the install starts; the wizard reaches one host
as soon as the operator adds it (SshNodes.add, in the background), and the start then skips it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from installer.agent_hub.hub import AgentHub
from installer.errors import AirliftError
from installer.events import Event, EventBus
from installer.ssh.known_hosts import KnownHosts, fingerprint
from installer.ssh.provision import provision, tree_files
from installer.ssh.secrets import SshSecrets, env_name, label, needed
from installer.ssh.session import SshTarget, connect, load_key, scan_host_key
from installer.statedir import JOIN_TOKEN, StateDir

log = logging.getLogger(__name__)

COPIED = ["install", "bin"]  # the frozen installer: the launcher and its folder
TOKEN_FILE = JOIN_TOKEN  # 0600 in the copy's folder, so the token is on no command line


def target_of(spec: dict, secret: str | None) -> SshTarget:
    """The SSH login for an answers `nodes` entry: its key (secret = passphrase) or its password."""
    common = {"address": spec["address"], "user": spec.get("user", "root"), "port": int(spec.get("port", 22))}
    if spec.get("key"):
        return SshTarget(**common, key_path=Path(spec["key"]), passphrase=secret)
    return SshTarget(**common, password=secret)


def inspect(spec: dict, state_dir: Path) -> dict:
    """What the operator confirms before the first login: the host key's fingerprint, whether it
    is new (never recorded), and which secret the node needs. A changed host key raises
    HostKeyChanged; nothing is recorded."""
    target = target_of(spec, None)
    key = scan_host_key(target)
    new = KnownHosts(StateDir(state_dir).known_hosts).shown(target.address, target.port, key)
    return {"address": target.address, "port": target.port, "user": target.user, "key_type": key.get_name(),
            "fingerprint": fingerprint(key), "new": new, "needs": needed(spec)}


def reach(hub: AgentHub, spec: dict, bundle_dir: Path, state_dir: Path, bus: EventBus,
          secret: str | None = None, confirmed: str | None = None) -> None:
    """Log in to the host `spec` names (with `secret`, its password or key passphrase), copy the
    installer there and start its agent. `confirmed`: the host key fingerprint the operator accepted."""
    kind = needed(spec)
    if kind and not secret:
        raise AirliftError(f"SSH node {label(spec)} needs its {kind}, which is never saved.",
                           hint=f"Add the host again on the wizard's nodes screen, or run ./install --cli on a "
                                f"terminal (it asks), or set {env_name(kind, spec['address'])} in its environment.")
    target = target_of(spec, secret)
    with connect(target, KnownHosts(StateDir(state_dir).known_hosts), confirmed=confirmed) as session:
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


class SshNodes:
    """The hosts one engine reaches over SSH: their secrets (memory only), which were reached,
    and the reaches running in the background for the wizard."""

    def __init__(self, bus: EventBus, bundle_dir: Path, state_dir: Path) -> None:
        self.bus, self.bundle_dir, self.state_dir = bus, Path(bundle_dir), Path(state_dir)
        self.secrets = SshSecrets(bus)
        self._running: dict[str, threading.Thread] = {}
        self._reached: set[str] = set()
        self._lock = threading.Lock()

    def check(self, hub: AgentHub, spec: dict, secret: str | None) -> None:
        """Refuse at once what can be known without logging in: a host that already joined, a
        missing password, an encrypted key without its passphrase (PassphraseRequired) or with a
        wrong one."""
        joined = [n.name for n in hub.nodes.nodes() if n.address == spec["address"]]
        if joined:
            raise AirliftError(f"{spec['address']} already joined as node {joined[0]}.",
                               hint="It takes part already: add another host.")
        kind = needed(spec)
        if kind == "password" and not secret:
            raise AirliftError(f"Enter the password of {label(spec)}.", hint="It is used now and never saved.")
        if kind == "passphrase":
            load_key(Path(spec["key"]), secret, f" for {label(spec)}")

    def add(self, hub: AgentHub, spec: dict, secret: str | None, confirmed: str | None) -> None:
        """Reach the host now, in the background; events of kind "node" tell how it goes
        ("ssh-connecting", "ssh", then "joined" from the hub, or "ssh-failed" with the hint)."""
        address = spec["address"]
        with self._lock:
            if address in self._running and self._running[address].is_alive():
                raise AirliftError(f"{label(spec)} is being reached already.", hint="Wait for it to join or fail.")
            self.secrets.put(address, secret)
            thread = threading.Thread(target=self._reach_quietly, args=(hub, dict(spec), confirmed),
                                      name=f"airlift-ssh-{address}", daemon=True)
            self._running[address] = thread
        self.bus.emit(Event("node", "ssh-connecting", f"Connecting to {label(spec)} over SSH",
                            data={"address": address}))
        thread.start()

    def reach_all(self, hub: AgentHub, specs: list[dict]) -> None:
        """Reach every node of the answers not reached yet (waiting for one the wizard started);
        a node that already joined from that address is left alone."""
        joined = {n.address for n in hub.nodes.nodes()}
        for spec in specs:
            address = spec["address"]
            running = self._running.get(address)
            if running is not None:
                running.join()
            if address in self._reached or address in joined:
                continue
            reach(hub, spec, self.bundle_dir, self.state_dir, self.bus, self.secrets.get(address))
            self._reached.add(address)

    def _reach_quietly(self, hub: AgentHub, spec: dict, confirmed: str | None) -> None:
        address = spec["address"]
        try:
            reach(hub, spec, self.bundle_dir, self.state_dir, self.bus, self.secrets.get(address), confirmed)
        except AirliftError as exc:
            self._failed(spec, exc.message, exc.hint, exc.details)
        except Exception as exc:  # a bug: the operator still sees which host, the log has the rest
            log.exception("internal error reaching %s", label(spec))
            self._failed(spec, f"internal error: {exc}", "See the installer's log.", None)
        else:
            self._reached.add(address)

    def _failed(self, spec: dict, message: str, hint: str | None, details: str | None) -> None:
        self.bus.emit(Event("node", "ssh-failed", message, data={
            "address": spec["address"], "hint": hint, "details": details}))
