"""The nodes that joined the install, persisted in the state directory (nodes.json).

A node is recognised by its identity (its machine-id, or the id its agent keeps), so an agent that
restarts or reconnects is the same node again, never a second one. Two different machines with the
same hostname are refused: Kubernetes names nodes by hostname. Each record also holds the versions
of the installer and the runtime the node's agent last reported (None in a record written before
agents reported them, or from an agent that does not).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from installer.errors import AirliftError
from installer.host import Host
from installer.statedir import StateDir

LOST_AFTER_S = 60.0
VERSION_KEYS = ("installer_version", "app_version", "runtime_version")


@dataclass
class Node:
    """One joined host: its name (hostname), identity, address, profile, the fingerprint of its
    blob server's certificate (its agent sends it at join; peers pin it) and last contact."""

    name: str
    identity: str
    address: str
    profile: str
    facts: dict = field(default_factory=dict)
    peer_fingerprint: str = ""
    joined: float = field(default_factory=time.time)
    last_seen: float = field(default_factory=time.time)
    installer_version: str | None = None
    app_version: str | None = None  # the application version whose bundle the node's installer came with
    runtime_version: str | None = None

    @classmethod
    def from_record(cls, record: dict) -> Node:
        """A node from its nodes.json record, which may lack the newer fields or hold fields a
        newer release added."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in record.items() if k in known})

    @property
    def connected(self) -> bool:
        return time.time() - self.last_seen < LOST_AFTER_S

    def view(self) -> dict:
        """What front-ends show: the node and the summary its agent sent when it joined."""
        return {"name": self.name, "address": self.address, "profile": self.profile,
                "connected": self.connected, "joined": self.joined, "facts": self.facts,
                "installer_version": self.installer_version, "app_version": self.app_version,
                "runtime_version": self.runtime_version}


class JoinedNodes:
    """Joined nodes by name; saved after every change when a state directory is attached."""

    def __init__(self) -> None:
        self._nodes: dict[str, Node] = {}
        self._path: Path | None = None
        self._lock = threading.Lock()

    def attach(self, state_dir: Path) -> None:
        """Load the nodes saved by an earlier run, and save there from now on."""
        with self._lock:
            self._path = StateDir(state_dir).nodes
            if self._path.exists():
                for d in json.loads(self._path.read_text(encoding="utf-8")):
                    self._nodes.setdefault(d["name"], Node.from_record(d))
            self._save()

    def nodes(self) -> list[Node]:
        with self._lock:
            return sorted(self._nodes.values(), key=lambda n: n.joined)

    def get(self, name: str) -> Node | None:
        with self._lock:
            return self._nodes.get(name)

    def join(self, candidate: Node) -> tuple[Node, bool]:
        """Record a joining node; (the node, True when it was known already)."""
        with self._lock:
            known = self._nodes.get(candidate.name)
            if known is not None and known.identity != candidate.identity:
                raise AirliftError(
                    f"Node {candidate.name} ({candidate.address}) has the same hostname as node "
                    f"{known.name} ({known.address}), which already joined",
                    hint="give every host its own hostname, then run the join command again")
            if known is not None:
                known.address, known.facts, known.last_seen = candidate.address, candidate.facts, time.time()
                known.peer_fingerprint = candidate.peer_fingerprint
                known.profile = candidate.profile
                known.installer_version = candidate.installer_version or known.installer_version
                known.runtime_version = candidate.runtime_version or known.runtime_version
                self._save()
                return known, True
            self._nodes[candidate.name] = candidate
            self._save()
            return candidate, False

    def remove(self, name: str) -> bool:
        """Forget a node that left the cluster (`./install remove`); False when it was unknown."""
        with self._lock:
            gone = self._nodes.pop(name, None)
            self._save()
            return gone is not None

    def seen(self, name: str, versions: dict | None = None) -> None:
        """The node's agent was heard from; with the versions it reported (VERSION_KEYS), saved when they changed."""
        with self._lock:
            node = self._nodes.get(name)
            if node is None:
                return
            node.last_seen = time.time()
            reported = {k: str(v) for k, v in (versions or {}).items() if k in VERSION_KEYS and v}
            if any(getattr(node, k) != v for k, v in reported.items()):
                for k, v in reported.items():
                    setattr(node, k, v)
                self._save()

    def _save(self) -> None:
        if self._path is None:
            return
        Host().write_file(self._path, json.dumps([asdict(n) for n in self._nodes.values()], indent=1), mode=0o600)
