"""Plan = data: an ordered list of phases, each with requirements, a node and a state.

Every operation's plan is built in installer/plan/builders.py and can be printed before anything
runs (`./install plan`). The code of each phase is found by its id in installer/phases/table.py;
the runner (installer/plan/runner.py) joins the two and records each phase's state.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

PHASE_STATES = ("unstarted", "in_progress", "completed", "failed", "rolled_back")


@dataclass
class Phase:
    """One step of an operation; `error` says what failed, why, what to do and where the log is."""

    id: str
    description: str
    requires: list[str] = field(default_factory=list)
    node: str | None = None
    state: str = "unstarted"
    error: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Plan:
    operation: str
    phases: list[Phase]
    created: float = field(default_factory=time.time)

    def phase(self, phase_id: str) -> Phase:
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        raise KeyError(phase_id)

    @property
    def state(self) -> str:
        """The operation's state as the phases' states add up to."""
        states = {p.state for p in self.phases}
        if states == {"completed"}:
            return "completed"
        if "failed" in states:
            return "failed"
        if "in_progress" in states:
            return "in_progress"
        if states == {"unstarted"}:
            return "unstarted"
        return "interrupted"

    def to_dict(self) -> dict:
        return {
            "operation": self.operation,
            "created": self.created,
            "state": self.state,
            "phases": [p.to_dict() for p in self.phases],
        }

    @classmethod
    def from_dict(cls, d: dict) -> Plan:
        return cls(
            operation=d["operation"],
            created=d.get("created", 0.0),
            phases=[Phase(**p) for p in d["phases"]],
        )
