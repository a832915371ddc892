"""What an upgrade or a rollback is, kept in its operation's `operation.json`: the versions from
and to, whether the runtime changed, and for a rollback the upgrade it takes back.

Both run as day-two operations in `<state>/operations/<id>/` (installer/statedir.py
OperationFolder), like expand and remove, with `<kind>-<from>-<to>-<8 hex>` ids. The keys
`id`, `kind`, `node` and `created` are the ones every operation has (installer/cluster_service/
operations.py reads them), so `./install status` lists these operations with the others.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from installer.errors import AirliftError
from installer.host import Host
from installer.statedir import OperationFolder, StateDir

KINDS = ("upgrade", "rollback")


@dataclass(frozen=True)
class UpgradeRecord:
    """One upgrade (or rollback) of the cluster whose first master is `node`."""

    id: str
    kind: str
    node: str
    from_version: str
    to_version: str
    runtime_changed: bool
    upgrade: str | None = None  # a rollback: the id of the upgrade it takes back
    created: float = field(default_factory=time.time)

    @classmethod
    def new(cls, kind: str, node: str, from_version: str, to_version: str, runtime_changed: bool,
            upgrade: str | None = None) -> UpgradeRecord:
        op_id = f"{kind}-{from_version}-{to_version}-{uuid.uuid4().hex[:8]}"
        return cls(op_id, kind, node, from_version, to_version, runtime_changed, upgrade)

    def folder(self, state_dir: Path) -> OperationFolder:
        return StateDir(state_dir).operation(self.id)

    def save(self, state_dir: Path) -> None:
        """Write operation.json last and atomically: an operation whose meta exists has its plan."""
        meta = self.folder(state_dir).meta
        doc = {"id": self.id, "kind": self.kind, "node": self.node, "created": self.created,
               "from": self.from_version, "to": self.to_version, "runtime_changed": self.runtime_changed,
               "upgrade": self.upgrade}
        Host().write_file(meta, json.dumps(doc, indent=1))

    @classmethod
    def load(cls, meta: Path) -> UpgradeRecord:
        d = json.loads(meta.read_text())
        return cls(d["id"], d["kind"], d["node"], d["from"], d["to"], bool(d["runtime_changed"]),
                   d.get("upgrade"), d["created"])


def record_in(folder: Path | None) -> UpgradeRecord:
    """The upgrade or rollback whose operation folder is `folder` (PhaseInputs.operation)."""
    if folder is None or not OperationFolder(folder).meta.is_file():
        raise AirliftError("This phase belongs to an upgrade or a rollback, but the run names no such operation",
                           hint="run it through ./install upgrade or ./install rollback")
    return UpgradeRecord.load(OperationFolder(folder).meta)
