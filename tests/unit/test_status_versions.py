"""Versions everywhere: the nodes' records keep the installer and runtime versions their agents
report (old records without them still load), and `./install status` shows the application, the
runtime and every node's versions from the one status dict, which `--json` prints as it is."""

from __future__ import annotations

import io
import json

from rich.console import Console

from installer import __version__, cli
from installer.agent_hub.nodes import JoinedNodes, Node
from installer.answers import Answers
from installer.cli.reports import print_status
from installer.host import Host
from installer.installer_copy import keep_installer
from installer.node_agent.identity import versions
from installer.plan import build_install_plan
from installer.runtime.k3s_files import K3sPaths
from installer.runtime.version import installed_k3s_version
from installer.services import manager_for
from installer.statedir import StateDir
from installer.status.cluster import cluster_status
from installer.status.health import health_checks, health_word

OLD_RECORD = {"name": "node-2", "identity": "id-2", "address": "10.0.0.6", "profile": "worker", "facts": {},
              "joined": 1.0, "last_seen": 1.0}


def test_a_record_written_before_versions_loads_and_takes_them_when_reported(tmp_path):
    paths = StateDir(tmp_path)
    paths.nodes.write_text(json.dumps([{**OLD_RECORD, "from_a_newer_release": True}]))
    nodes = JoinedNodes()
    nodes.attach(tmp_path)
    node = nodes.get("node-2")
    assert node is not None and (node.installer_version, node.runtime_version) == (None, None)
    nodes.seen("node-2", {"installer_version": "0.1.0", "runtime_version": "v1.30.6+k3s1", "other": "x"})
    saved = json.loads(paths.nodes.read_text())[0]
    assert (saved["installer_version"], saved["runtime_version"]) == ("0.1.0", "v1.30.6+k3s1")
    nodes.seen("node-2", {"runtime_version": None})  # nothing reported: the last report stays
    assert json.loads(paths.nodes.read_text())[0]["runtime_version"] == "v1.30.6+k3s1"


def test_joining_again_keeps_versions_an_agent_did_not_send(tmp_path):
    nodes = JoinedNodes()
    nodes.attach(tmp_path)
    nodes.join(Node("node-2", "id-2", "10.0.0.6", "worker", installer_version="0.1.0", runtime_version="v1"))
    node, again = nodes.join(Node("node-2", "id-2", "10.0.0.6", "worker", runtime_version="v2"))
    assert again and (node.installer_version, node.runtime_version) == ("0.1.0", "v2")
    assert node.view()["runtime_version"] == "v2"


def test_the_cluster_part_of_status_lists_each_node_with_its_versions(tmp_path):
    StateDir(tmp_path).nodes.write_text(json.dumps([OLD_RECORD, {**OLD_RECORD, "name": "node-3",
                                                                 "installer_version": "0.2.0",
                                                                 "app_version": "1.1.0",
                                                                 "runtime_version": "v1.30.7+k3s1"}]))
    host = Host(tmp_path / "root")
    cluster = cluster_status(manager_for(host, tmp_path), tmp_path, Answers(), None)
    assert cluster["nodes"] == [
        {"name": "node-2", "address": "10.0.0.6", "profile": "worker", "first": False,
         "installer_version": None, "app_version": None, "runtime_version": None},
        {"name": "node-3", "address": "10.0.0.6", "profile": "worker", "first": False,
         "installer_version": "0.2.0", "app_version": "1.1.0", "runtime_version": "v1.30.7+k3s1"}]


def _completed_plan() -> dict:
    plan = build_install_plan("node-1")
    for phase in plan.phases:
        phase.state = "completed"
    return plan.to_dict()


def status(**changes) -> dict:
    """A status dict as installer.status.install builds it, of a healthy two-node install."""
    base = {
        "app": {"name": "hello", "version": "1.0.0"},
        "runtime": {"name": "k3s", "version": "v1.30.6+k3s1", "running": True,
                    "nodes": [{"name": "node-1", "ready": True}, {"name": "node-2", "ready": True}]},
        "installer": {"version": "0.1.0"},
        "plan": _completed_plan(),
        "registry": {"url": "https://10.0.0.5:5000", "answering": True, "images": {"count": 2, "problems": []}},
        "endpoints": [{"name": "Web", "description": "", "url": "http://10.0.0.5:30080"}],
        "nodes": [{"name": "node-1", "address": "10.0.0.5", "profile": "master", "first": True, "ready": True,
                   "installer_version": "0.1.0", "app_version": "1.0.0", "runtime_version": "v1.30.6+k3s1"},
                  {"name": "node-2", "address": "10.0.0.6", "profile": "worker", "first": False, "ready": True,
                   "installer_version": None, "runtime_version": "v1.30.6+k3s1"}],
        "operations": [{"id": "remove-node-3-0123abcd", "kind": "remove", "node": "node-3", "state": "completed"}],
        "join": {}, "cluster_service": True, "panel": {"url": "https://10.0.0.5:32009/", "running": True},
    }
    base.update(changes)
    base["health"] = health_checks(base)
    base["healthy"] = all(c["ok"] for c in base["health"])
    base["condition"], base["reasons"] = health_word(base["health"], True)
    return base


def test_health_checks_are_data_the_tables_print():
    checks = {c["check"]: c for c in status()["health"]}
    assert list(checks) == ["registry answering", "registry serves all 2 image(s) of the bundle", "k3s running",
                            "node node-1 Ready", "node node-2 Ready",
                            "cluster service running (nodes join and leave through it)", "control panel running"]
    assert checks["k3s running"]["detail"] == "(v1.30.6+k3s1, carried by the bundle)"
    sick = status(registry={"url": "u", "answering": False, "images": None})
    assert [c["check"] for c in sick["health"] if not c["ok"]] == ["registry answering"] and not sick["healthy"]


def test_the_tables_show_the_versions_of_the_application_the_runtime_and_each_node():
    out = io.StringIO()
    print_status(status(), Console(file=out, width=200))
    text = out.getvalue()
    assert "hello 1.0.0 on k3s v1.30.6+k3s1, Airlift 0.1.0" in text
    assert "✓ k3s running (v1.30.6+k3s1, carried by the bundle)" in text
    assert "node-1 (master, first master, 10.0.0.5): installer 0.1.0 (of 1.0.0), k3s v1.30.6+k3s1" in text
    assert "node-2 (worker, 10.0.0.6): installer not reported, k3s v1.30.6+k3s1" in text
    assert "remove-node-3-0123abcd: remove node-3: completed" in text
    assert "Health: healthy" in text
    assert "Control panel: https://10.0.0.5:32009/" in text


def test_the_health_word_is_down_without_k3s_or_the_registry_degraded_for_anything_else():
    healthy = status()
    assert (healthy["condition"], healthy["reasons"]) == ("healthy", [])
    sick_node = status(runtime={**status()["runtime"], "nodes": [{"name": "node-1", "ready": True},
                                                                 {"name": "node-2", "ready": False}]})
    assert (sick_node["condition"], sick_node["reasons"]) == ("degraded", ["node node-2 Ready"])
    no_registry = status(registry={"url": "u", "answering": False, "images": None})
    assert (no_registry["condition"], no_registry["reasons"]) == ("down", ["registry answering: u"])


def test_the_tables_say_degraded_with_why_and_the_failing_status_hooks_log():
    last = {"ok": False, "job": "hello-status-20260101-000000", "log": ["hello status: no page"]}
    hook = {"state": "failed", "ok": False, "detail": "failed 5 s ago, exit code 3: it failed", "last": last}
    out = io.StringIO()
    assert not print_status(status(status_hook=hook), Console(file=out, width=200))
    text = out.getvalue()
    assert "✗ application status hook failed 5 s ago, exit code 3: it failed" in text
    assert "Health: degraded\n  application status hook: failed 5 s ago" in text
    assert "Last log lines of the status hook (job hello-status-20260101-000000):\n  | hello status: no page" in text
    healthy = io.StringIO()
    print_status(status(), Console(file=healthy, width=200))
    assert "Health: healthy" in healthy.getvalue() and "status hook" not in healthy.getvalue()


def test_status_json_with_nothing_installed_is_still_a_document(tmp_path, capsys):
    assert cli.main(["status", "--json", "--state-dir", str(tmp_path / "none")]) == 1
    assert json.loads(capsys.readouterr().out) == {"installed": False, "state_dir": str(tmp_path / "none")}


def test_a_nodes_k3s_version_is_what_its_binary_answers(tmp_path):
    host = Host(tmp_path / "root")
    assert installed_k3s_version(host) is None  # no k3s installed yet
    binary = K3sPaths.of(host).binary
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\necho 'k3s version v1.30.7+k3s1 (0123abcd)'\necho 'go version go1.22'\n")
    binary.chmod(0o755)
    assert installed_k3s_version(host) == "v1.30.7+k3s1"
    state = tmp_path / "state"
    assert versions(host, state) == {"installer_version": __version__, "app_version": None,
                                     "runtime_version": "v1.30.7+k3s1"}
    keep_installer(host, state, "1.0.0")
    assert versions(host, state)["app_version"] == "1.0.0"  # the bundle its kept installer came with
    binary.write_text("#!/bin/sh\necho 'something else'\n")  # replaced: asked again
    assert installed_k3s_version(host) is None
