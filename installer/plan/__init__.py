"""The plan: data describing an operation's phases, its builders, its persisted state, and its runner."""

from installer.plan.builders import (
    build_expand_plan,
    build_install_plan,
    build_remove_plan,
    build_rollback_plan,
    build_upgrade_plan,
)
from installer.plan.model import PHASE_STATES, Phase, Plan
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
    "build_remove_plan",
    "build_rollback_plan",
    "build_upgrade_plan",
    "run_plan",
]
