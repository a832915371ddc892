"""The remove operation's plan (installer/plan/builders.py) and its refusals
(installer/cluster_service/remove.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from installer.agent_hub import AgentHub
from installer.agent_hub.nodes import Node
from installer.cluster_service.remove import check_removable
from installer.errors import AirliftError
from installer.events import EventBus
from installer.manifest import Flavor, FlavorNode, load_manifest
from installer.phases import hooks, removal
from installer.phases.table import Executor, resolve
from installer.plan import build_remove_plan

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello" / "app.yaml"
JOB = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "h"}, "spec": {}}


def manifest(*hooks: str):
    return dataclasses.replace(load_manifest(HELLO), hooks={h: JOB for h in hooks})


def hub(*names: str) -> AgentHub:
    flavor = Flavor(name="three", description="", nodes=(FlavorNode("master", 1), FlavorNode("worker", 2)))
    h = AgentHub(EventBus(), flavor, "node-1", "master")
    for i, name in enumerate(names, start=2):
        h.nodes.join(Node(name=name, identity=f"id-{name}", address=f"10.0.0.{i}", profile="worker"))
    return h


def test_without_hooks_the_node_is_drained_leaves_and_is_deleted_in_that_order():
    plan = build_remove_plan("node-1", "node-3", manifest("install").hooks)
    assert plan.operation == "remove"
    assert [(p.id, p.node, p.requires) for p in plan.phases] == [
        ("/drain/node-3", "node-1", []),
        ("/leave/node-3", "node-3", ["/drain/node-3"]),
        ("/delete/node-3", "node-1", ["/leave/node-3"]),
    ]


def test_the_manifest_hooks_run_first_and_last():
    plan = build_remove_plan("node-1", "node-3", manifest("preNodeRemove", "postNodeRemove").hooks)
    assert [p.id for p in plan.phases] == ["/hooks/preNodeRemove", "/drain/node-3", "/leave/node-3",
                                           "/delete/node-3", "/hooks/postNodeRemove"]
    assert plan.phase("/drain/node-3").requires == ["/hooks/preNodeRemove"]
    assert resolve("/leave/node-3") == Executor("/leave/*", removal.leave, "node-3")
    assert resolve("/hooks/postNodeRemove") == Executor("/hooks/*", hooks.execute, "postNodeRemove")


def test_only_the_hooks_the_manifest_has_are_in_the_plan():
    plan = build_remove_plan("node-1", "node-2", manifest("postNodeRemove").hooks)
    assert [p.id for p in plan.phases][-1] == "/hooks/postNodeRemove"
    assert "/hooks/preNodeRemove" not in [p.id for p in plan.phases]


def test_an_unknown_node_is_refused_listing_the_known_ones():
    with pytest.raises(AirliftError) as err:
        check_removable(hub("node-2", "node-3"), "node-9", "node-1")
    assert err.value.message == "Node node-9 is not a node of this cluster"
    assert "node-2, node-3" in err.value.hint and "node-1" in err.value.hint


def test_the_first_master_is_refused():
    with pytest.raises(AirliftError) as err:
        check_removable(hub("node-2"), "node-1", "node-1")
    assert "first master" in err.value.message and "cannot leave" in err.value.message
    assert "./install uninstall" in err.value.hint


def test_a_joined_node_may_leave():
    check_removable(hub("node-2", "node-3"), "node-3", "node-1")


def test_a_removed_node_is_forgotten_and_stays_forgotten(tmp_path):
    h = hub("node-2", "node-3")
    h.nodes.attach(tmp_path)
    assert h.nodes.remove("node-3") and not h.nodes.remove("node-3")
    again = hub()
    again.nodes.attach(tmp_path)
    assert [n.name for n in again.nodes.nodes()] == ["node-2"]
