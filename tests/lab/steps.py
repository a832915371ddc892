"""Steps the lab tests share: unpack the bundle on a node, run commands detached, wait on output,
and start an install whose other nodes join by the printed command."""

from __future__ import annotations

import shlex
import time
from pathlib import Path

from tests.fixtures.lab import LabNode

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


def wait_for(node: LabNode, what: str, predicate, timeout: float, also: tuple[LabNode, ...] = ()) -> str:  # noqa: ANN001
    """Run `what` on the node until its output satisfies `predicate`; on timeout the failure shows
    the last output and the join logs of the `also` nodes."""
    deadline = time.monotonic() + timeout
    out = ""
    while time.monotonic() < deadline:
        out = node.exec(what)[1]
        if predicate(out):
            return out
        time.sleep(1)
    joins = "".join(f"\n--- {n.name} join log:\n{n.exec('cat /root/join.log')[1]}" for n in also)
    raise AssertionError(f"{node.name}: gave up after {timeout:.0f}s waiting on `{what}`; last output:\n{out}{joins}")


def join_command(install_log: str, profile: str) -> list[str]:
    line = next(x for x in install_log.splitlines() if x.strip().startswith(f"{profile} ("))
    argv = shlex.split(line.split(":  ", 1)[1])
    assert argv[:2] == ["./install", "join"], line
    return argv


def install_by_command(first: LabNode, others: tuple[LabNode, ...], flavor: str, profile: str,
                       *extra: str) -> str:
    """Start `./install --cli --flavor FLAVOR [EXTRA...]` on `first` and run the join command of
    `profile` on each of the `others`; the install's output up to "Waiting for nodes"."""
    command = shlex.join([INSTALL, "--cli", "--flavor", flavor, "--accept-eula", *extra])
    start_detached(first, f"COLUMNS=250 {command}", "/root/install.log")
    printed = wait_for(first, "cat /root/install.log", lambda out: "Waiting for nodes" in out, 120)
    argv = join_command(printed, profile)
    for node in others:
        start_detached(node, shlex.join([INSTALL, *argv[1:]]), "/root/join.log")
    return printed


def install_three_by_command(first: LabNode, second: LabNode, third: LabNode, *extra: str) -> str:
    """Flavor three (a master, two workers): both workers join by the printed command; `extra`
    answers go to the install."""
    return install_by_command(first, (second, third), "three", "worker", *extra)
