"""The history of an installed site, read from its state directory: the install, then each
expand, remove, upgrade and rollback, with its phases and its event log. The control panel's
Operations screen draws it; nothing here changes anything.

One operation: {id, kind, node, title, created, state, phases: [{id, description, node, state,
error}]}, where `state` is "running" (phases still in progress), "completed", "failed",
"interrupted" or "unstarted". The install's id is "install"; the others are their folder names in
`<state>/operations/`.
"""

from __future__ import annotations

import json
from pathlib import Path

from installer.errors import AirliftError
from installer.events import Event, EventLog
from installer.plan import PlanStore
from installer.statedir import OperationFolder, RunFolder, StateDir

INSTALL = "install"


def operations(state_dir: Path) -> list[dict]:
    """The install and every day-2 operation, oldest first (none before an install began)."""
    found = []
    install = PlanStore(state_dir).load()
    if install is not None:
        found.append(_entry(INSTALL, INSTALL, str(install.phases[0].node or ""), install.created,
                            "Install", RunFolder(state_dir)))
    root = StateDir(state_dir).operations
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        meta = OperationFolder(folder).meta
        if not meta.is_file():
            continue
        d = json.loads(meta.read_text(encoding="utf-8"))
        found.append(_entry(d["id"], d["kind"], d["node"], d["created"], _title(d), OperationFolder(folder)))
    return sorted(found, key=lambda op: op["created"])


def operation_events(state_dir: Path, op_id: str, after: int = 0) -> list[Event]:
    """The events of operation `op_id` after sequence number `after` (its whole log for 0)."""
    return EventLog(folder_of(state_dir, op_id).events).read(after)


def folder_of(state_dir: Path, op_id: str) -> RunFolder:
    """Where operation `op_id` is kept; AirliftError for an id that names none."""
    if op_id == INSTALL:
        return RunFolder(state_dir)
    folder = StateDir(state_dir).operation(Path(op_id).name)
    if not folder.meta.is_file():
        raise AirliftError(f"There is no operation {op_id} in {StateDir(state_dir).operations}",
                           hint="the Operations screen and ./install status list the operations")
    return folder


def _entry(op_id: str, kind: str, node: str, created: float, title: str, folder: RunFolder) -> dict:
    plan = PlanStore(folder.root).load()
    state = plan.state if plan is not None else "unstarted"
    return {"id": op_id, "kind": kind, "node": node, "title": title, "created": created,
            "state": "running" if state == "in_progress" else state,
            "phases": [{k: p.to_dict()[k] for k in ("id", "description", "node", "state", "error")}
                       for p in (plan.phases if plan else [])]}


def _title(meta: dict) -> str:
    kind, node = meta["kind"], meta["node"]
    if kind in ("upgrade", "rollback") and meta.get("from"):
        return f"{kind.capitalize()} from {meta['from']} to {meta['to']}"
    return f"{kind.capitalize()} node {node}" if kind in ("expand", "remove") else f"{kind.capitalize()} {node}"
