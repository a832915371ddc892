"""The upgrade and rollback plans: their phases, order and requirements, each phase resolved in
its own table; the registry's gc keeps what the kept versions reach."""

import json

from installer.phases.table import ROLLBACK_PHASES, UPGRADE_PHASES, resolve
from installer.plan import build_rollback_plan, build_upgrade_plan
from installer.registry.gc import collect
from installer.registry.populate import v2_root


def test_an_upgrade_checks_and_fills_the_registry_before_any_node_changes_one_node_at_a_time():
    plan = build_upgrade_plan("m1", ["m2", "w1"], ["preUpdate", "postUpdate", "update"])
    ids = [p.id for p in plan.phases]
    assert ids == ["/previous", "/checks", "/checks/m2", "/checks/w1", "/registry", "/distribute/m2",
                   "/distribute/w1", "/hooks/preUpdate", "/runtime/m1", "/runtime/m2", "/runtime/w1", "/app",
                   "/hooks/postUpdate", "/installer", "/gc"]
    assert plan.phase("/runtime/m2").requires == ["/runtime/m1"]  # never two nodes at once
    assert plan.phase("/registry").requires == ["/checks/m2", "/checks/w1"]
    assert all(resolve(i, UPGRADE_PHASES) for i in ids)


def test_a_single_host_upgrade_without_hooks():
    ids = [p.id for p in build_upgrade_plan("m1").phases]
    assert ids == ["/previous", "/checks", "/registry", "/runtime/m1", "/app", "/installer", "/gc"]


def test_a_rollback_runs_the_hook_then_goes_back_on_the_nodes_the_upgrade_reached():
    plan = build_rollback_plan("m1", ["m1", "w1"], ["rollback"])
    ids = [p.id for p in plan.phases]
    assert ids == ["/hooks/rollback", "/app", "/registry", "/distribute/w1", "/runtime/m1", "/runtime/w1",
                   "/installer"]
    assert all(resolve(i, ROLLBACK_PHASES) for i in ids)
    assert [p.id for p in build_rollback_plan("m1").phases] == ["/app", "/registry", "/installer"]


def _blob(storage, digest, data: bytes):
    path = v2_root(storage) / "blobs" / "sha256" / digest[7:9] / digest[7:] / "data"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)


def _tag(storage, repo, tag, digest):
    link = v2_root(storage) / "repositories" / repo / "_manifests" / "tags" / tag / "current" / "link"
    link.parent.mkdir(parents=True)
    link.write_text(digest)


def test_gc_deletes_what_no_kept_manifest_reaches(tmp_path):
    keep, old, layer, stale = ("sha256:" + c * 64 for c in "abcd")
    _blob(tmp_path, keep, json.dumps({"config": {"digest": layer}, "layers": []}).encode())
    _blob(tmp_path, layer, b"layer")
    _blob(tmp_path, old, json.dumps({"config": {"digest": stale}, "layers": []}).encode())
    _blob(tmp_path, stale, b"stale")
    _tag(tmp_path, "hello/web", "1.1.0", keep)
    _tag(tmp_path, "hello/old", "0.9.0", old)
    freed = collect(tmp_path, [keep])
    blobs = {p.parent.name for p in (v2_root(tmp_path) / "blobs").rglob("data")}
    assert blobs == {keep[7:], layer[7:]} and freed > 0
    assert not (v2_root(tmp_path) / "repositories" / "hello" / "old").exists()
    assert collect(tmp_path, [keep]) == 0
