"""The one table of phases (installer/phases/table.py): every phase of every plan the builders
make has code, the most specific pattern wins, and an id without code is named."""

import pytest

from installer.events import EventBus
from installer.phases import checks, hooks, network_checks, remote, removal, runtime
from installer.phases.table import PHASES, Executor, UnknownPhase, resolve
from installer.plan import Phase, Plan, PlanStore, run_plan
from installer.plan.builders import build_expand_plan, build_install_plan, build_remove_plan

ALL_HOOKS = ("install", "preNodeAdd", "postNodeAdd", "preNodeRemove", "postNodeRemove")
PLANS = {
    "install, one host": build_install_plan("node-1"),
    "install, three nodes": build_install_plan("node-1", ["node-2", "node-3"]),
    "expand": build_expand_plan("node-1", "node-4", ALL_HOOKS),
    "remove": build_remove_plan("node-1", "node-3", ALL_HOOKS),
}


@pytest.mark.parametrize("plan", PLANS.values(), ids=PLANS.keys())
def test_every_phase_of_every_plan_resolves_to_an_executor_of_the_table(plan):
    for phase in plan.phases:
        executor = resolve(phase.id)
        assert executor.execute is PHASES[executor.pattern], phase.id


def test_every_pattern_of_the_table_is_used_by_some_plan():
    used = {resolve(p.id).pattern for plan in PLANS.values() for p in plan.phases}
    assert used == set(PHASES)


@pytest.mark.parametrize(("phase_id", "expected"), [
    ("/checks", Executor("/checks", checks.execute)),
    ("/checks/node-2", Executor("/checks/*", remote.checks, "node-2")),
    ("/checks/network", Executor("/checks/network", network_checks.execute)),
    ("/checks/network/node-4", Executor("/checks/network/*", network_checks.execute, "node-4")),
    ("/runtime", Executor("/runtime", runtime.execute)),
    ("/runtime/node-2", Executor("/runtime/*", remote.runtime, "node-2")),
    ("/distribute/node-2", Executor("/distribute/*", remote.distribute, "node-2")),
    ("/hooks/preNodeAdd", Executor("/hooks/*", hooks.execute, "preNodeAdd")),
    ("/drain/node-3", Executor("/drain/*", removal.drain, "node-3")),
    ("/leave/node-3", Executor("/leave/*", removal.leave, "node-3")),
    ("/delete/node-3", Executor("/delete/*", removal.delete, "node-3")),
])
def test_the_most_specific_pattern_wins(phase_id, expected):
    assert resolve(phase_id) == expected


@pytest.mark.parametrize("phase_id", ["/upgrade", "/runtime/node-2/extra", "/drain", "/runtime/", "/", ""])
def test_an_id_without_code_is_an_error_naming_it(phase_id):
    with pytest.raises(UnknownPhase) as err:
        resolve(phase_id)
    assert f"Phase {phase_id} " in err.value.message and err.value.hint


def test_the_part_the_star_stood_for_is_handed_to_the_executor():
    calls = []
    table = {"/exact": lambda ctx: calls.append((ctx,)), "/family/*": lambda ctx, name: calls.append((ctx, name))}
    resolve("/exact", table)("ctx")
    resolve("/family/node-2", table)("ctx")
    assert calls == [("ctx",), ("ctx", "node-2")]


def test_the_runner_names_a_phase_without_code_before_anything_runs(tmp_path):
    plan = Plan("install", [Phase("/checks", "Check"), Phase("/unheard-of", "Nothing knows it", ["/checks"])])
    store = PlanStore(tmp_path)
    store.create(plan)
    ran = []
    with pytest.raises(UnknownPhase, match="/unheard-of"):
        run_plan(plan, store, None, EventBus(), "log", table={"/checks": ran.append})
    assert ran == [] and store.load().state == "unstarted"
