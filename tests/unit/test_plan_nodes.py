"""The install plan across nodes: per-node phases, what each requires, and their executors."""

from installer.phases import remote
from installer.plan import build_install_plan


def test_a_single_host_plan_has_only_the_host_phases():
    plan = build_install_plan("node-1")
    assert [p.id for p in plan.phases] == ["/checks", "/bootstrap", "/registry", "/runtime", "/app"]
    assert remote.executors(plan) == {}


def test_every_other_node_is_checked_sent_the_runtime_and_joined_before_the_app():
    plan = build_install_plan("node-1", ["node-2", "node-3"])
    assert [p.id for p in plan.phases] == [
        "/checks", "/checks/node-2", "/checks/node-3", "/bootstrap", "/distribute/node-2", "/distribute/node-3",
        "/registry", "/runtime", "/runtime/node-2", "/runtime/node-3", "/app"]
    assert plan.phase("/runtime/node-2").node == "node-2" and plan.phase("/registry").node == "node-1"
    assert plan.phase("/bootstrap").requires == ["/checks", "/checks/node-2", "/checks/node-3"]
    assert plan.phase("/runtime/node-3").requires == ["/runtime", "/distribute/node-3"]
    assert plan.phase("/app").requires == ["/runtime", "/runtime/node-2", "/runtime/node-3"]
    executors = remote.executors(plan)
    assert sorted(executors) == ["/checks/node-2", "/checks/node-3", "/distribute/node-2", "/distribute/node-3",
                                 "/runtime/node-2", "/runtime/node-3"]
    assert executors["/runtime/node-3"].keywords == {"node": "node-3"}
    assert executors["/runtime/node-3"].func is remote.runtime


def test_the_plan_survives_a_round_trip_through_its_stored_form():
    from installer.plan import Plan

    plan = build_install_plan("node-1", ["node-2"])
    assert Plan.from_dict(plan.to_dict()).to_dict() == plan.to_dict()
