"""Adding a node after the install: the expand plan, and which joining hosts the cluster
controller admits (a profile of the installed manifest whose expandPolicy is not `fixed`)."""

import json
import threading
from pathlib import Path

import pytest
import yaml

from installer import answers as answers_mod
from installer.cluster_service.controller import Controller
from installer.cluster_service.operations import Operations
from installer.errors import AirliftError
from installer.host import Host
from installer.manifest import load_manifest
from installer.phases import hooks, monitoring, network_checks, remote
from installer.phases.table import Executor, resolve
from installer.plan import PlanStore, build_expand_plan, build_install_plan
from installer.statedir import StateDir

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello" / "app.yaml"


def test_the_expand_plan_checks_sends_and_joins_the_node():
    plan = build_expand_plan("node-1", "node-4")
    assert plan.operation == "expand"
    assert [(p.id, p.requires, p.node) for p in plan.phases] == [
        ("/checks/node-4", [], "node-4"),
        ("/checks/network/node-4", ["/checks/node-4"], "node-4"),
        ("/distribute/node-4", ["/checks/network/node-4"], "node-4"),
        ("/runtime/node-4", ["/distribute/node-4"], "node-4"),
        ("/monitoring/node-4", ["/runtime/node-4"], "node-4"),
    ]
    assert resolve("/monitoring/node-4") == Executor("/monitoring/*", monitoring.node, "node-4")
    assert resolve("/runtime/node-4") == Executor("/runtime/*", remote.runtime, "node-4")
    network = resolve("/checks/network/node-4")
    assert network == Executor("/checks/network/*", network_checks.execute, "node-4"), "not /checks/* of node network"


def test_the_node_add_hooks_run_on_the_first_master_around_the_join_when_the_manifest_has_them():
    plan = build_expand_plan("node-1", "node-4", {"install": {}, "preNodeAdd": {}, "postNodeAdd": {}})
    assert [p.id for p in plan.phases] == ["/checks/node-4", "/checks/network/node-4", "/distribute/node-4",
                                           "/hooks/preNodeAdd", "/runtime/node-4", "/monitoring/node-4",
                                           "/hooks/postNodeAdd"]
    assert plan.phase("/runtime/node-4").requires == ["/hooks/preNodeAdd"]
    assert plan.phase("/hooks/postNodeAdd").node == "node-1"
    assert resolve("/hooks/postNodeAdd") == Executor("/hooks/*", hooks.execute, "postNodeAdd")
    only_pre = build_expand_plan("node-1", "node-4", {"preNodeAdd": {}})
    assert [p.id for p in only_pre.phases][-1] == "/monitoring/node-4"


def installed_state(tmp_path: Path, fixed: str | None = None, completed: bool = True) -> Path:
    """A state folder as an install leaves it: plan, answers, the installed manifest."""
    state = StateDir(tmp_path / "state")
    doc = load_manifest(HELLO).to_resolved_dict()
    for profile in doc["nodeProfiles"]:
        if profile["name"] == fixed:
            profile["expandPolicy"] = "fixed"
    state.app.mkdir(parents=True)
    state.app_manifest.write_text(yaml.safe_dump(doc))
    answers_mod.save(answers_mod.Answers(flavor="one", profile="master", advertise_addr="127.0.0.1"),
                     state.answers)
    store = PlanStore(state.root)
    plan = build_install_plan("node-1")
    store.create(plan)
    for phase in plan.phases if completed else plan.phases[:-1]:
        store.record(phase.id, "completed")
    return state.root


@pytest.mark.parametrize("role, message, hint", [
    (None, "needs a node profile", "--role one of: master"),
    ("database", '"database" is not a node profile of hello', "--role one of: master"),
    ("worker", 'Node profile "worker" of hello has expandPolicy: fixed', "--role one of: master"),
])
def test_a_join_the_controller_refuses_says_why_and_which_profiles_can_join(tmp_path, role, message, hint):
    controller = Controller(installed_state(tmp_path, fixed="worker"), Host(tmp_path / "root"))
    with pytest.raises(AirliftError) as refused:
        controller.profile_for(role)
    assert message in refused.value.message
    assert refused.value.hint.endswith(hint)  # only master is left: worker is fixed


def test_profiles_not_fixed_join_and_nothing_joins_an_unfinished_install(tmp_path):
    assert Controller(installed_state(tmp_path), Host(tmp_path / "root")).profile_for("worker") == "worker"
    unfinished = Controller(installed_state(tmp_path / "b", completed=False), Host(tmp_path / "root"))
    with pytest.raises(AirliftError, match="The install is not complete"):
        unfinished.profile_for("worker")


def stored_expand(state: Path, node: str, last_state: str | None) -> str:
    """An expand operation's folder as the cluster service left it (`last_state` of its first phase)."""
    op_id = f"expand-{node}-0000"
    folder = StateDir(state).operation(op_id)
    folder.root.mkdir(parents=True)
    folder.meta.write_text(json.dumps({"id": op_id, "kind": "expand", "node": node, "created": 1.0}))
    store = PlanStore(folder.root)
    store.create(build_expand_plan("node-1", node))
    if last_state:
        store.record(f"/checks/{node}", last_state)
    return op_id


def test_a_restarted_cluster_service_carries_on_with_an_expand_cut_short_only(tmp_path):
    state = installed_state(tmp_path)
    controller = Controller(state, Host(tmp_path / "root"))
    controller.operations = Operations(state, [])
    cut = stored_expand(state, "node-4", "in_progress")
    stored_expand(state, "node-5", "failed")  # waits for its join command to run again
    stored_expand(state, "node-6", None)
    resumed: list[str] = []
    done = threading.Event()

    def expand(op, bus):  # noqa: ANN001
        resumed.append(op.id)
        if len(resumed) == 2:
            done.set()
    controller._expand = expand  # type: ignore[method-assign]
    controller._resume_interrupted()
    assert done.wait(5)
    for thread in threading.enumerate():
        if thread.name.startswith("airlift-expand-"):
            thread.join(5)
    assert sorted(resumed) == [cut, "expand-node-6-0000"]
