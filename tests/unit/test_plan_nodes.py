"""The install plan across nodes: per-node phases, what each requires, and their executors."""

import pytest

from installer.errors import AirliftError
from installer.events import EventBus
from installer.phases import network_checks, remote
from installer.phases.table import Executor, resolve
from installer.plan import PhaseFailed, PlanStore, build_install_plan, run_plan


def test_a_single_host_plan_has_only_the_host_phases():
    plan = build_install_plan("node-1")
    assert [p.id for p in plan.phases] == ["/checks", "/bootstrap", "/registry", "/runtime", "/app", "/cluster-service",
                                           "/monitoring"]
    assert {resolve(p.id).pattern for p in plan.phases} == {p.id for p in plan.phases}  # no family, no node


def test_every_other_node_is_checked_sent_the_runtime_and_joined_before_the_app():
    plan = build_install_plan("node-1", ["node-2", "node-3"])
    assert [p.id for p in plan.phases] == [
        "/checks", "/checks/node-2", "/checks/node-3", "/checks/network", "/bootstrap", "/distribute/node-2",
        "/distribute/node-3", "/registry", "/runtime", "/runtime/node-2", "/runtime/node-3", "/app", "/cluster-service",
        "/monitoring", "/monitoring/node-2", "/monitoring/node-3"]
    assert plan.phase("/monitoring/node-2").requires == ["/monitoring", "/runtime/node-2"]
    assert plan.phase("/cluster-service").requires == ["/app"] and plan.phase("/cluster-service").node == "node-1"
    assert plan.phase("/runtime/node-2").node == "node-2" and plan.phase("/registry").node == "node-1"
    assert plan.phase("/checks/network").requires == ["/checks", "/checks/node-2", "/checks/node-3"]
    assert plan.phase("/checks/network").node is None  # it runs on every node
    assert plan.phase("/bootstrap").requires == ["/checks", "/checks/node-2", "/checks/node-3", "/checks/network"]
    assert plan.phase("/runtime/node-3").requires == ["/runtime", "/distribute/node-3"]
    assert plan.phase("/app").requires == ["/runtime", "/runtime/node-2", "/runtime/node-3"]
    per_node = sorted(p.id for p in plan.phases if resolve(p.id).name is not None)
    assert per_node == ["/checks/node-2", "/checks/node-3", "/distribute/node-2", "/distribute/node-3",
                        "/monitoring/node-2", "/monitoring/node-3", "/runtime/node-2", "/runtime/node-3"]
    assert resolve("/runtime/node-3") == Executor("/runtime/*", remote.runtime, "node-3")
    assert resolve("/checks/network") == Executor("/checks/network", network_checks.execute)


def test_the_plan_survives_a_round_trip_through_its_stored_form():
    from installer.plan import Plan

    plan = build_install_plan("node-1", ["node-2"])
    assert Plan.from_dict(plan.to_dict()).to_dict() == plan.to_dict()


def _timed(log: list, fail: str | None = None, together: tuple[str, ...] = ()):
    """Phases that log their start and end. The phases of node-2 and node-3 in each family of
    `together` wait for each other inside (up to 10 s): they can only both finish if the plan runs
    them at the same time, however slow the machine."""
    import threading
    import time

    meet = {family: threading.Barrier(2) for family in together}

    def make(phase_id: str):
        def run(_ctx) -> None:
            log.append(("start", phase_id))
            family, _, node = phase_id.rpartition("/")
            if family in meet and node in ("node-2", "node-3"):
                meet[family].wait(timeout=10)
            else:
                time.sleep(0.05)
            log.append(("end", phase_id))
            if phase_id == fail:
                raise AirliftError("it broke", hint="fix it")
        return run
    return make


def test_phases_of_different_nodes_run_together_and_the_others_in_order(tmp_path):
    plan = build_install_plan("node-1", ["node-2", "node-3"])
    store = PlanStore(tmp_path)
    store.create(plan)
    log: list = []
    families = ("/checks", "/distribute", "/runtime")
    timed = _timed(log, together=families)
    run_plan(plan, store, None, EventBus(), "/x/log", table={p.id: timed(p.id) for p in plan.phases})
    start = {pid: i for i, (what, pid) in enumerate(log) if what == "start"}
    ends = {pid: i for i, (what, pid) in enumerate(log) if what == "end"}

    def overlap(a: str, b: str) -> bool:
        return start[a] < ends[b] and start[b] < ends[a]
    for family in families:
        assert overlap(f"{family}/node-2", f"{family}/node-3"), log
    assert not overlap("/registry", "/runtime") and not overlap("/bootstrap", "/distribute/node-2")
    assert max(ends["/checks/node-2"], ends["/checks/node-3"]) < start["/checks/network"] < ends["/checks/network"] \
        < start["/bootstrap"]
    assert ends["/runtime"] < start["/runtime/node-2"]
    assert max(ends["/runtime/node-2"], ends["/runtime/node-3"]) < log.index(("start", "/app"))
    assert plan.state == "completed"


def test_a_failure_in_a_batch_lets_the_others_finish_and_stops_the_plan(tmp_path):
    plan = build_install_plan("node-1", ["node-2", "node-3"])
    store = PlanStore(tmp_path)
    store.create(plan)
    log: list = []
    with pytest.raises(PhaseFailed, match="Phase /checks/node-2 failed: it broke"):
        run_plan(plan, store, None, EventBus(), "/x/log",
                 table={p.id: _timed(log, fail="/checks/node-2")(p.id) for p in plan.phases})
    assert plan.phase("/checks/node-3").state == "completed"
    assert plan.phase("/checks/node-2").state == "failed" and plan.phase("/bootstrap").state == "unstarted"
