"""Three lab hosts, one install: node 1 runs `./install --cli --flavor three` and prints the join
commands; nodes 2 and 3 run them. Each joining node is checked, receives the runtime over the LAN
and joins the cluster as a k3s agent; node 1 ends with three Ready nodes. A wrong token is
refused and logged, and the token never appears in the install's event log.
"""

from __future__ import annotations

import re
import shlex
import time
from pathlib import Path

import pytest

from tests.fixtures.lab import LabNode

pytestmark = pytest.mark.lab

BUNDLE = "/opt/hello-1.0.0"
INSTALL = f"{BUNDLE}/install"
STATE = "/var/lib/airlift"


def unpack(node: LabNode, tar: Path) -> None:
    node.put(tar, "/root")
    node.check(f"tar -C /opt -xf '/root/{tar.name}'")


def start_detached(node: LabNode, cmd: str, log: str) -> None:
    """Run `cmd` in the background on the node; its output goes to `log`, its exit code to log.rc."""
    node.container.exec_run(["/bin/sh", "-c", f"({cmd}) >{log} 2>&1; echo $? >{log}.rc"], detach=True,
                            workdir="/")


def wait_for(node: LabNode, what: str, predicate, timeout: float) -> str:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    out = ""
    while time.monotonic() < deadline:
        out = node.exec(what)[1]
        if predicate(out):
            return out
        time.sleep(1)
    raise AssertionError(f"{node.name}: gave up after {timeout:.0f}s waiting on `{what}`; last output:\n{out}")


def join_command(install_log: str, profile: str) -> list[str]:
    line = next(x for x in install_log.splitlines() if x.strip().startswith(f"{profile} ("))
    argv = shlex.split(line.split(":  ", 1)[1])
    assert argv[:2] == ["./install", "join"], line
    return argv


def test_three_nodes_install_two_joining_by_command(lab_nodes, frozen_hello_bundle):
    nodes = lab_nodes(3)
    first, second, third = nodes
    for node in nodes:
        unpack(node, frozen_hello_bundle)
    start_detached(first, f"{INSTALL} --cli --flavor three --accept-eula", "/root/install.log")
    printed = wait_for(first, "cat /root/install.log", lambda out: "Waiting for nodes" in out, 120)
    argv = join_command(printed, "worker")
    token = argv[argv.index("--token") + 1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,}", token)

    # A wrong token is refused at once, and the installer logs where it came from.
    wrong = [*argv[:argv.index("--token") + 1], "not-the-token", *argv[argv.index("--token") + 2:]]
    code, out = third.exec(shlex.join([INSTALL, *wrong[1:]]))
    assert code == 2 and "refused the join token" in out, out
    assert f"Refused a node at {third.address}" in first.check(f"cat {STATE}/events.jsonl")

    for node in (second, third):
        start_detached(node, shlex.join([INSTALL, *argv[1:]]), "/root/join.log")
    wait_for(first, "cat /root/install.log.rc 2>/dev/null", lambda out: out.strip() != "", 600)
    log = first.check("cat /root/install.log")
    assert first.check("cat /root/install.log.rc").strip() == "0", log
    assert "Installed hello 1.0.0" in log

    listed = first.check("k3s kubectl get nodes")
    ready = [line.split()[0] for line in listed.splitlines()[1:] if " Ready " in f" {line} "]
    assert sorted(ready) == ["node-1", "node-2", "node-3"], listed
    for node in (second, third):
        joined = wait_for(node, "cat /root/join.log.rc 2>/dev/null", lambda out: out.strip() != "", 60)
        assert joined.strip() == "0", node.check("cat /root/join.log")
        assert "this agent stops" in node.check("cat /root/join.log")
        assert node.check("ls /var/lib/airlift/bundle/runtime")

    events = first.check(f"cat {STATE}/events.jsonl")
    leaks = [line for line in events.splitlines() if token in line]
    assert not leaks, leaks
    assert token not in "\n".join(x for x in log.splitlines() if "./install join" not in x)
    for name in ("node-2", "node-3"):
        assert f'"phase": "/runtime/{name}"' in events
    plan = first.check(f"{INSTALL} plan --state-dir {STATE}", env={"COLUMNS": "200"})
    assert "/distribute/node-2" in plan and "/runtime/node-3" in plan
