"""The plan: built as data, persisted as plan + append-only changes, run phase by phase."""

import json

import pytest

from installer.errors import AirliftError
from installer.events import EventBus
from installer.plan import PhaseFailed, PlanStore, build_install_plan, run_plan

PHASES = ["/checks", "/bootstrap", "/registry", "/runtime", "/app", "/cluster-service", "/monitoring"]


def test_install_plan_has_the_phases_in_order_with_requirements():
    plan = build_install_plan("node-1")
    assert [p.id for p in plan.phases] == PHASES
    assert plan.phase("/runtime").requires == ["/registry"]
    assert {p.node for p in plan.phases} == {"node-1"} and plan.state == "unstarted"


def test_state_is_the_plan_plus_the_last_change_of_each_phase(tmp_path):
    store = PlanStore(tmp_path)
    store.create(build_install_plan("n"))
    store.record("/checks", "in_progress")
    store.record("/checks", "completed")
    store.record("/bootstrap", "in_progress")
    with open(store.log_path, "a") as f:
        f.write('{"phase": "/bootstrap", "sta')  # torn by a crash
    plan = store.load()
    assert [p.state for p in plan.phases][:3] == ["completed", "in_progress", "unstarted"]
    assert plan.state == "in_progress"
    assert json.loads(store.plan_path.read_text())["phases"][0]["state"] == "unstarted"  # plan.json never rewritten


def _executors(calls, fail_at=None):
    def make(pid):
        def run(ctx):
            calls.append(pid)
            if pid == fail_at:
                raise AirliftError("disk full", hint="free some space")
        return run
    return {pid: make(pid) for pid in PHASES}


def test_a_failed_phase_records_what_why_what_to_do_and_the_log(tmp_path):
    store = PlanStore(tmp_path)
    plan = build_install_plan("n")
    store.create(plan)
    calls = []
    with pytest.raises(PhaseFailed) as info:
        run_plan(plan, store, None, EventBus(), "/x/installer.log", table=_executors(calls, fail_at="/registry"))
    assert calls == PHASES[:3]
    error = store.load().phase("/registry").error
    assert error == {"message": "disk full", "hint": "free some space", "details": None, "log": "/x/installer.log"}
    assert "--resume" in info.value.hint and "/registry" in info.value.message


def test_resume_skips_completed_phases_and_reruns_the_interrupted_one(tmp_path):
    store = PlanStore(tmp_path)
    store.create(build_install_plan("n"))
    for pid in PHASES[:2]:
        store.record(pid, "completed")
    store.record("/registry", "in_progress")  # killed here
    calls = []
    run_plan(store.load(), store, None, EventBus(), "log", table=_executors(calls))
    assert calls == PHASES[2:]
    assert store.load().state == "completed"


def test_a_phase_does_not_run_before_its_requirements(tmp_path):
    store = PlanStore(tmp_path)
    plan = build_install_plan("n")
    store.create(plan)
    plan.phase("/checks").state = "completed"
    plan.phase("/bootstrap").requires = ["/app"]
    with pytest.raises(AirliftError, match="/app not completed"):
        run_plan(plan, store, None, EventBus(), "log", table=_executors([]))


def test_phase_events_are_emitted(tmp_path):
    store = PlanStore(tmp_path)
    plan = build_install_plan("n")
    store.create(plan)
    bus = EventBus()
    seen = []
    bus.add_sink(seen.append)
    run_plan(plan, store, None, bus, "log", table=_executors([]))
    assert [(e.phase, e.status) for e in seen][:2] == [("/checks", "started"), ("/checks", "completed")]
