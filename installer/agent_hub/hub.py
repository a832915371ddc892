"""The installer's side of agents: who joined, which profile each takes, and work for them.

The hub listens for agents (server.py), keeps the list of joined nodes (nodes.py), hands out work
(work.py) and relays each agent's events into the install's event log with the node's name.
"""

from __future__ import annotations

import logging
import shlex
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from installer.agent_hub import token as token_mod
from installer.agent_hub.nodes import LOST_AFTER_S, JoinedNodes, Node
from installer.agent_hub.server import ACTIONS, AgentServer
from installer.agent_hub.work import WorkBoard
from installer.bundle import Bundle
from installer.errors import AirliftError
from installer.events import Event, EventBus
from installer.manifest import Flavor
from installer.ports import AGENT_PORT
from installer.statedir import StateDir
from installer.tls import Certificate, ensure_certificate
from installer.transfer.bundle_share import seed_store, shared_files
from installer.transfer.peer import Peer
from installer.transfer.store import BlobStore
from installer.transfer.tracker import Tracker

log = logging.getLogger("installer.agent_hub")

POLL_WAIT_S = 20.0


def join_command(address: str, port: int, token: str, fingerprint: str, profile: str) -> str:
    """`./install join ADDR[:PORT] --token T --fingerprint FP --role PROFILE` (the port only when
    it is not the default)."""
    where = address if port == AGENT_PORT else f"{address}:{port}"
    return shlex.join(["./install", "join", where, "--token", token, "--fingerprint", fingerprint, "--role", profile])


class AgentHub:
    """Nodes joining `flavor` besides the first node (`first`, of profile `first_profile`)."""

    actions: tuple[str, ...] = ACTIONS
    admin_actions: tuple[str, ...] = ()

    def __init__(self, bus: EventBus, flavor: Flavor, first: str, first_profile: str) -> None:
        self.bus, self.flavor, self.first, self.first_profile = bus, flavor, first, first_profile
        self.nodes = JoinedNodes()
        self.board = WorkBoard()
        self.token = ""
        self.admin_token = ""
        self.fingerprint = ""
        self.address = ""
        self._port = 0
        self._cert: Certificate | None = None
        self._server: AgentServer | None = None
        self._peer: Peer | None = None
        self._share_lock = threading.Lock()

    def metrics(self, authorization: str | None) -> bytes | None:
        """The installer's hub serves no metrics; the cluster controller's does."""
        return None

    # --- listening -------------------------------------------------------------------------

    def listen(self, state_dir: Path, address: str, port: int) -> None:
        """Serve the agent API with the installer's certificate; the token and nodes live in
        `state_dir`, so a restarted installer knows both."""
        if self._server is not None:
            return
        cert = ensure_certificate(state_dir, address)
        self.token = token_mod.load_or_create(state_dir)
        self.bus.add_secret(self.token)
        self.nodes.attach(state_dir)
        self.fingerprint, self.address, self._cert = cert.fingerprint, address, cert
        self._server = AgentServer(self, "0.0.0.0", port, cert.cert_path, cert.key_path).start()
        self._port = self._server.port
        log.info("listening for nodes on port %d", self._server.port)

    @property
    def port(self) -> int:
        """The port it listens on (or listened on, once stopped: the join command stays the same)."""
        return self._port

    def stop(self) -> None:
        if self._peer is not None:
            self._peer.stop()
            self._peer = None
        if self._server is not None:
            self._server.stop()
            self._server = None

    def share(self, bundle: Bundle, state_dir: Path, prefixes: list[str]) -> str:
        """Serve the bundle's files under `prefixes` to the nodes (this node holds them all and
        hosts the tracker, with the installer's certificate the agents pinned); the tracker's URL,
        which agents fetch through."""
        if self._cert is None:
            raise AirliftError("The installer shares the bundle only while it listens for nodes",
                               hint="run ./install --resume with the same answers")
        with self._share_lock:  # several /distribute phases start at once
            if self._peer is None:
                store = BlobStore(StateDir(state_dir).blobs)
                seed_store(store, bundle, shared_files(bundle, prefixes))
                self._peer = Peer(self.first, store, self.token, Tracker(self.peer_fingerprint), self.address,
                                  self._cert).start()
            return self._peer.url

    def peer_fingerprint(self, name: str) -> str | None:
        """The certificate fingerprint of node `name`'s blob server, as its agent sent it when it
        joined over the pinned agent channel (this host's is the installer's own)."""
        if name == self.first:
            return self.fingerprint
        node = self.nodes.get(name)
        return (node.peer_fingerprint or None) if node else None

    def finish_all(self, timeout: float = 30.0, names: list[str] | None = None, error: dict | None = None,
                   summary: str | None = None) -> None:
        """Tell every agent (or those of `names`) the install is over, so it stops (best effort:
        the install is done); with `error` ({message, hint, details}), that its node failed; the
        `summary` is the last line its join command prints."""
        # Every known node, not only those seen lately: an agent between two polls, or
        # reconnecting, still picks its stop up within the timeout instead of retrying for minutes.
        args = {"error": error} if error else {"summary": summary} if summary else {}
        works = [self.board.submit(name, "finish", args) for name in names or [n.name for n in self.nodes.nodes()]]
        deadline = time.monotonic() + timeout
        for work in works:
            if not work.done.wait(max(0.0, deadline - time.monotonic())):
                self.board.cancel(work)

    def join_command(self, profile: str) -> str:
        """The exact command an operator runs on a node to join it with `profile`."""
        return join_command(self.address, self.port, self.token, self.fingerprint, profile)

    # --- who is there ----------------------------------------------------------------------

    def missing(self) -> dict[str, int]:
        """Profile -> how many nodes of it have not joined yet."""
        wanted = Counter({n.profile: n.count for n in self.flavor.nodes})
        wanted[self.first_profile] -= 1
        wanted.subtract(Counter(n.profile for n in self.nodes.nodes()))
        return {p: c for p, c in wanted.items() if c > 0}

    def wait_for_nodes(self, timeout: float | None = None) -> list[Node]:
        """Wait until every node the flavor needs has joined; a node event whenever that changes."""
        deadline = None if timeout is None else time.monotonic() + timeout
        shown: dict[str, int] | None = None
        while (missing := self.missing()):
            if missing != shown:
                shown = missing
                text = ", ".join(f"{c} × {p}" for p, c in missing.items())
                self.bus.emit(Event("node", "waiting", f"Waiting for nodes to join: {text}",
                                    data={"missing": missing}))
            if deadline is not None and time.monotonic() > deadline:
                raise AirliftError(f"Not every node joined: still missing {text}",
                                   hint="run the join command on those hosts, then ./install --resume")
            time.sleep(0.5)
        return self.nodes.nodes()

    def wait_connected(self, name: str, timeout: float = LOST_AFTER_S) -> None:
        """Wait for the agent of `name` to be in contact (after an installer restart)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            node = self.nodes.get(name)
            if node is not None and time.time() - node.last_seen < POLL_WAIT_S * 1.5:
                return
            time.sleep(0.5)
        raise AirliftError(f"The agent on node {name} is not in contact with the installer",
                           hint=f"check that {name} is up and its agent runs (run the join command there "
                                "again)")

    # --- work ------------------------------------------------------------------------------

    def run(self, node: str, task: str, args: dict, timeout: float) -> dict:
        """Run `task` on `node` through its agent; its result data, or AirliftError naming the node."""
        self.wait_connected(node)
        work = self.board.submit(node, task, args)
        deadline = time.monotonic() + timeout
        while not work.done.wait(1.0):
            known = self.nodes.get(node)
            if known is None or not known.connected or time.monotonic() > deadline:
                self.board.cancel(work)
                why = "did not finish in time" if known and known.connected else "lost contact with the installer"
                raise AirliftError(f"Node {node}: the {task} task {why}",
                                   hint=f"check that {node} is up and reachable")
        result = work.result or {}
        if not result.get("ok"):
            error = result.get("error") or {}
            raise AirliftError(f"Node {node}: {error.get('message', 'the ' + task + ' task failed')}",
                               hint=error.get("hint"), details=error.get("details"))
        data = dict(result.get("data") or {})
        if result.get("clock_offset_s") is not None:
            data["clock_offset_s"] = result["clock_offset_s"]
        return data

    # --- the agent API ---------------------------------------------------------------------

    def refused(self, client: str) -> None:
        log.warning("refused an agent at %s: wrong join token", client)
        self.bus.log_line(f"Refused a node at {client}: its join token is wrong", "warn")

    def handle(self, action: str, body: dict, client: str) -> dict:
        if action == "join":
            try:
                return self._join(body, client)
            except AirliftError as exc:  # shown here too: an agent started over SSH has no operator watching
                self.bus.log_line(f"Refused a node at {client}: {exc.message}", "warn")
                raise
        node = str(body["node"])
        if self.nodes.get(node) is None:
            raise AirliftError(f"Node {node} has not joined", hint="join again")
        self.nodes.seen(node, body.get("versions") if action == "poll" else None)
        if action == "poll":
            work = self.board.take(node, float(body.get("wait", POLL_WAIT_S)))
            return {"work": work.message() if work else None}
        if action == "events":
            for raw in body["events"]:
                event = Event.from_dict(raw)
                self.bus.emit(replace(event, node=node, seq=0))
            return {}
        result = dict(body["result"])
        if "clock" in body:
            result["clock_offset_s"] = float(body["clock"]) - time.time()
        return {"accepted": self.board.finish(node, str(body["id"]), result)}

    def _join(self, body: dict, client: str) -> dict:
        name = str(body["hostname"])
        if name == self.first:
            raise AirliftError(f"Node {name} has the hostname of the installer's own host",
                               hint="give every host its own hostname, then join again")
        if name == "network":  # its phases would be /checks/network, the checks across every node
            raise AirliftError("Node network: this hostname names a phase of the plan (/checks/network)",
                               hint="give this host another hostname, then join again")
        address = str(body.get("address") or client)
        self._refuse_taken_address(name, address)
        known = self.nodes.get(name)
        profile = known.profile if known and known.identity == body["identity"] else self._profile(body.get("role"))
        versions = body.get("versions") or {}
        node, again = self.nodes.join(Node(name=name, identity=str(body["identity"]), address=address, profile=profile,
                                           facts=dict(body.get("facts") or {}),
                                           installer_version=versions.get("installer_version"),
                                           app_version=versions.get("app_version"),
                                           runtime_version=versions.get("runtime_version"),
                                           peer_fingerprint=str(body.get("peer_fingerprint") or "")))
        if again and body.get("fresh"):
            self.board.hand_out_again(name)
        verb = "reconnected" if again else "joined"
        self.bus.emit(Event("node", verb, f"Node {name} ({node.address}) {verb} as {profile}",
                            node=name, data=node.view()))
        return {"node": name, "profile": profile}

    def _refuse_taken_address(self, name: str, address: str) -> None:
        """Advertise addresses are unique: Kubernetes and the peers reach each node at its own."""
        holders = [n.name for n in self.nodes.nodes() if n.address == address and n.name != name]
        if address == self.address:
            holders.append(self.first)
        if holders:
            raise AirliftError(f"Node {name} advertises {address}, the address of node {holders[0]}",
                               hint="join with --advertise-addr set to this host's own address")

    def _profile(self, role: str | None) -> str:
        """The profile a new node takes: the one asked for if the flavor still needs it, else the
        first one still missing."""
        missing = self.missing()
        names = [n.profile for n in self.flavor.nodes]
        if role is not None and role not in names:
            raise AirliftError(f'"{role}" is not a node profile of the {self.flavor.name} cluster',
                               hint=f"join with --role one of: {', '.join(dict.fromkeys(names))}")
        if role is not None and role not in missing:
            raise AirliftError(f"The {self.flavor.name} cluster needs no more {role} nodes",
                               hint="join with another --role, or leave this host out")
        if not missing:
            raise AirliftError(f"Every node of the {self.flavor.name} cluster has joined already")
        return role or next(iter(missing))
