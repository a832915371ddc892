"""The plan: data describing an operation's phases, its persisted state, and its executor."""

from installer.plan.model import PHASE_STATES, Phase, Plan, build_expand_plan, build_install_plan
from installer.plan.runner import PhaseFailed, run_plan
from installer.plan.store import PlanStore

__all__ = [
    "PHASE_STATES",
    "Phase",
    "PhaseFailed",
    "Plan",
    "PlanStore",
    "build_expand_plan",
    "build_install_plan",
    "run_plan",
]
