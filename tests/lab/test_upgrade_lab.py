"""Upgrade and rollback on three lab nodes (one master, two workers joined by command), each a
bare host without Python running the frozen installer and the frozen k3s stand-in.

hello 1.0.0 (k3s stand-in v1.30.6) is installed. A 1.1.0 whose `update` hook fails moves every
node's runtime to v1.31.2, node by node, masters first, then stops at /app and says to roll
back; `./install rollback` takes every node back to v1.30.6 and the cluster to 1.0.0. Then the
differential 1.1.0 bundle, with node 3 down, stops naming it; with node 3 back the same command
upgrades the cluster for good: every node's runtime and kept installer move to 1.1.0, the agents
restart with the new installer and report it, and old blobs go.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.fixtures.build_fixtures import HELLO, NEXT_K3S_VERSION, build_hello
from tests.fixtures.lab import LabNode
from tests.fixtures.standin_version import DEFAULT_VERSION
from tests.lab.steps import STATE, install_three_by_command, unpack, wait_for

pytestmark = pytest.mark.lab

KEPT = f"{STATE}/installer/install"


def failing_update_bundle(tmp: Path, k3s: Path) -> Path:
    """hello 1.1.0 (examples/hello/next) whose update hook exits 1."""
    app = tmp / "hello"
    shutil.copytree(HELLO, app, ignore=shutil.ignore_patterns(".images", "images"))
    hook_file = app / "next" / "resources" / "update-hook.yaml"
    hook = yaml.safe_load(hook_file.read_text())
    hook["spec"]["template"]["spec"]["containers"][0]["args"] = ["echo 'hello update hook: failing'; exit 1"]
    hook_file.write_text(yaml.safe_dump(hook, sort_keys=False))
    return build_hello(app / "next" / "app.yaml", tmp / "hello-1.1.0.tar", k3s)


def runtime_versions(nodes: tuple[LabNode, ...]) -> dict[str, str]:
    return {n.name: n.check("k3s --version").split()[2] for n in nodes}


def status(first: LabNode) -> dict:
    """`status --json` (it exits 1 while the site is not healthy, which is no failure here)."""
    return json.loads(first.exec(f"{KEPT} status --json", workdir="/")[1])


def healthy(first: LabNode) -> dict:
    """The status once every node is Ready again and nothing fails (a node's k3s restarted by the
    upgrade, or a node back from a pause, takes a little while)."""
    return json.loads(wait_for(first, f"{KEPT} status --json", lambda text: json.loads(text)["healthy"], 180))


def runtime_steps(first: LabNode, op_kind: str) -> list[tuple[str, str]]:
    """(status, phase) of every /runtime/<node> phase event of the newest operation of `op_kind`,
    in the order they happened."""
    folder = first.check(f"ls -dt {STATE}/operations/{op_kind}-* | head -n1").strip()
    steps = []
    for line in first.check(f"cat {folder}/events.jsonl").splitlines():
        event = json.loads(line)
        if event.get("kind") == "phase" and (event.get("phase") or "").startswith("/runtime/"):
            steps.append((event["status"], event["phase"]))
    return steps


def test_three_nodes_upgrade_node_by_node_roll_back_a_failed_update_then_take_the_differential_bundle(
        lab_nodes, frozen_hello_bundle, frozen_next_k3s_standin, hello_next_diff_tar, tmp_path):
    nodes = first, second, third = lab_nodes(3)
    for node in nodes:
        unpack(node, frozen_hello_bundle)
    install_three_by_command(first, second, third)
    wait_for(first, "cat /root/install.log.rc 2>/dev/null", lambda out: out.strip() != "", 600, also=(second, third))
    assert first.check("cat /root/install.log.rc").strip() == "0", first.check("cat /root/install.log")
    for name in ("node-2", "node-3"):  # the installed workers' agents are the cluster service's now
        wait_for(first, "cat /var/log/airlift/airlift-cluster.log", lambda out, n=name: f"Node {n} " in out
                 and "reconnected" in out, 120)
    assert set(runtime_versions(nodes).values()) == {DEFAULT_VERSION}

    # 1.1.0 with a failing update hook: the runtimes move, masters first, then /app stops it.
    bad = failing_update_bundle(tmp_path, frozen_next_k3s_standin)
    first.put(bad, "/root")
    first.check(f"mkdir -p /opt/bad && tar -C /opt/bad -xf /root/{bad.name}")
    code, out = first.exec("COLUMNS=250 /opt/bad/hello-1.1.0/install upgrade --yes", workdir="/")
    assert code != 0, out
    flat = " ".join(out.split())
    assert "/app" in flat and "./install rollback to go back to 1.0.0" in flat and "Nothing was uninstalled" in flat
    assert runtime_versions(nodes) == {n.name: NEXT_K3S_VERSION for n in nodes}
    steps = runtime_steps(first, "upgrade")  # one node at a time, the master first
    started = [phase for status, phase in steps if status == "started"]
    assert started[0] == "/runtime/node-1" and sorted(started) == [f"/runtime/node-{i}" for i in (1, 2, 3)]
    assert [status for status, _ in steps] == ["started", "completed"] * 3, steps
    assert {n["name"]: n["app_version"] for n in status(first)["nodes"]} == {
        "node-1": "1.0.0", "node-2": "1.0.0", "node-3": "1.0.0"}  # /installer was not reached

    code, out = first.exec(f"COLUMNS=250 {KEPT} rollback --yes", workdir="/")
    assert code == 0, out
    assert runtime_versions(nodes) == {n.name: DEFAULT_VERSION for n in nodes}
    back = healthy(first)
    assert back["app"]["version"] == "1.0.0", back
    ready = first.check("k3s kubectl get nodes")
    assert ready.count(" Ready ") == 3, ready

    # The differential 1.1.0 with node 3 down: the upgrade names it and stops; node 3 back, the
    # same command carries the upgrade on to the end, every node's installer included.
    first.put(hello_next_diff_tar, "/root")
    first.check(f"mkdir -p /opt/diff && tar -C /opt/diff -xf /root/{hello_next_diff_tar.name}")
    upgrade = "COLUMNS=250 /opt/diff/hello-1.1.0/install upgrade --yes"
    third.container.pause()
    try:
        code, out = first.exec(upgrade, workdir="/")
    finally:
        third.container.unpause()
    flat = " ".join(out.split())
    # node 3 just polled, so its task was handed out and then lost; had it been silent longer, the
    # task would not have been handed out at all: either way the failure names node 3
    assert code != 0 and re.search(r"node-3: the checks task lost contact|agent on node node-3 is not in contact",
                                   flat), out
    assert "then run ./install upgrade again" in flat and "--resume" not in flat, out
    code, out = first.exec(upgrade, workdir="/")
    assert code == 0, out
    assert runtime_versions(nodes) == {n.name: NEXT_K3S_VERSION for n in nodes}
    for node in (second, third):
        assert node.check(f"cat {STATE}/installer/bundle-version").strip() == "1.1.0"
        assert node.check(f"cat {STATE}/previous/installer/bundle-version").strip() == "1.0.0"
        assert node.exec(f"test -e {STATE}/bundle/bin")[0] != 0  # laid out, not kept twice
    wait_for(first, f"{KEPT} status --json", lambda text: all(
        n["app_version"] == "1.1.0" and n["runtime_version"] == NEXT_K3S_VERSION
        for n in json.loads(text)["nodes"]), 120)
    done = healthy(first)
    assert done["app"]["version"] == "1.1.0", done
    events = first.check(f"cat $(ls -dt {STATE}/operations/upgrade-* | head -n1)/events.jsonl")
    for name in ("node-2", "node-3"):  # /gc reached every node once its agent ran the new installer
        assert f"Node {name}: " in events and "bytes of older runtimes and installers deleted" in events
