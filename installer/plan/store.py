"""Persisted plan state: plan.json (written once, atomically) + plan-log.jsonl (append-only).

The current state is the plan plus the last change of each phase. Every change is fsync'd
before the phase runs, so after a crash or SIGKILL `--resume` knows exactly where it stopped.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from installer.host import Host
from installer.plan.model import PHASE_STATES, Plan
from installer.statedir import RunFolder


class PlanStore:
    def __init__(self, state_dir: Path) -> None:
        folder = RunFolder(state_dir)
        self.plan_path, self.log_path = folder.plan, folder.plan_log

    def exists(self) -> bool:
        return self.plan_path.exists()

    def create(self, plan: Plan) -> None:
        """Write a fresh plan and start an empty change log."""
        self.log_path.unlink(missing_ok=True)
        Host().write_file(self.plan_path, json.dumps(plan.to_dict(), indent=2, sort_keys=True))
        _fsync_dir(self.plan_path.parent)

    def record(self, phase_id: str, state: str, error: dict | None = None) -> None:
        """Append one phase change and make it durable."""
        if state not in PHASE_STATES:
            raise ValueError(f"unknown phase state {state!r}")
        line = json.dumps({"phase": phase_id, "state": state, "error": error, "time": time.time()})
        fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)

    def changes(self) -> list[dict]:
        if not self.log_path.exists():
            return []
        changes = []
        for line in self.log_path.read_text(encoding="utf-8").splitlines():
            try:
                changes.append(json.loads(line))
            except ValueError:
                continue  # a line torn by a crash: the change never happened
        return changes

    def load(self) -> Plan | None:
        """The plan with each phase in the state of its last recorded change."""
        if not self.plan_path.exists():
            return None
        plan = Plan.from_dict(json.loads(self.plan_path.read_text(encoding="utf-8")))
        for change in self.changes():
            try:
                phase = plan.phase(change["phase"])
            except KeyError:
                continue
            phase.state = change["state"]
            phase.error = change.get("error")
        return plan


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
