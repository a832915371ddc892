"""Three lab hosts, one install: node 1 runs `./install --cli` for the flavor "three" with an
answers file naming node 3 as an SSH host, and prints the join command; node 2 runs it, node 3
gets the installer copied over SSH (its host key fingerprint shown and recorded). Each joining
node is checked, receives the runtime over the LAN and joins the cluster as a k3s agent; node 1
ends with three Ready nodes, and each pulls from the sealed registry on node 1. A wrong token is
refused and logged, and the token never appears in the install's event log nor on the command line
of any process on the joined nodes.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.lab import LabNode
from tests.lab.steps import (
    INSTALL,
    STATE,
    install_three_by_command,
    join_command,
    start_detached,
    unpack,
    wait_for,
)

pytestmark = pytest.mark.lab

def ssh_access(first: LabNode, third: LabNode, tmp_path: Path) -> None:
    """A key on node 1 that logs in to node 3 as root."""
    key = tmp_path / "lab_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    first.put_bytes(key.read_bytes(), "/root/.ssh/lab_key", mode=0o600)
    third.put_bytes(key.with_suffix(".pub").read_bytes(), "/root/.ssh/authorized_keys", mode=0o600)
    first.put_bytes(f"flavor: three\naccept-eula: true\nnodes:\n  - address: {third.address}\n"
                    "    user: root\n    key: /root/.ssh/lab_key\n    role: worker\n".encode(), "/root/answers.yaml")


def test_three_nodes_one_joined_by_command_one_over_ssh(lab_nodes, frozen_hello_bundle, tmp_path):
    first, second, third = lab_nodes(3)
    for node in (first, second):
        unpack(node, frozen_hello_bundle)
    ssh_access(first, third, tmp_path)
    start_detached(first, f"COLUMNS=250 {INSTALL} --cli --config /root/answers.yaml", "/root/install.log")
    # Node 3 joins over SSH on its own; the installer then waits for one worker only. (The agent
    # joins in the background, so on a loaded machine "2 × worker" may be printed first.)
    printed = wait_for(first, "cat /root/install.log", lambda out: "Waiting for nodes to join: 1 × worker" in out, 120)
    argv = join_command(printed, "worker")
    token = argv[argv.index("--token") + 1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,}", token)
    assert re.search(rf"root@{third.address}:22: host key SHA256:\S+ \(recorded on first use\)", printed)
    assert third.address in first.check(f"cat {STATE}/known_hosts")

    # A wrong token is refused at once, and the installer logs where it came from.
    wrong = [*argv[:argv.index("--token") + 1], "not-the-token", *argv[argv.index("--token") + 2:]]
    code, out = second.exec(shlex.join([INSTALL, *wrong[1:]]))
    assert code == 2 and "refused the join token" in out, out
    assert f"Refused a node at {second.address}" in first.check(f"cat {STATE}/events.jsonl")

    # Started from a script, as from an operator's shell: only the agent itself could show the token.
    second.put_bytes(f"#!/bin/sh\n{shlex.join([INSTALL, *argv[1:]])}\n".encode(), "/root/join.sh", mode=0o700)
    start_detached(second, "/root/join.sh", "/root/join.log")
    wait_for(second, "cat /root/join.log", lambda out: "Joined the installer" in out, 120)
    for node in (second, third):  # both agents run now: neither shows the token to `ps`
        listing = node.check(r"cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' ' '")
        assert "join" in listing and token not in listing, f"{node.name}: {listing}"
    wait_for(first, "cat /root/install.log.rc 2>/dev/null", lambda out: out.strip() != "", 600, also=(second,))
    log = first.check("cat /root/install.log")
    assert first.check("cat /root/install.log.rc").strip() == "0", log
    assert "Installed hello 1.0.0" in log
    for name in ("node-2", "node-3"):
        assert f"clock-drift: The clock of node {name} is within" in log
    # The checks across nodes ran before anything listened on the nodes' ports (the stand-in k3s
    # and the registry start later): every node reached every other; no profile sets a rate.
    assert "network-ports: Each of the 3 nodes reaches every other on the ports it needs" in log, log
    assert "network-bandwidth: Bandwidth between nodes: not required" in log
    assert "clock-drift-pairs: The clocks of every pair of nodes agree within 300 ms" in log

    listed = first.check("k3s kubectl get nodes")
    ready = [line.split()[0] for line in listed.splitlines()[1:] if " Ready " in f" {line} "]
    assert sorted(ready) == ["node-1", "node-2", "node-3"], listed
    joined = wait_for(second, "cat /root/join.log.rc 2>/dev/null", lambda out: out.strip() != "", 60)
    assert joined.strip() == "0", second.check("cat /root/join.log")
    assert "this agent stops" in second.check("cat /root/join.log")
    # The agent started over SSH removes its copy once the install is over.
    wait_for(third, "ls -d /tmp/airlift.* 2>/dev/null | wc -l", lambda out: out.strip() == "0", 120)
    for node in (second, third):
        assert "k3s" in node.check("ls /var/lib/airlift/bundle/runtime")
        # Each node pulls from the sealed registry on node 1 through its own registries.yaml (0600):
        # over HTTPS trusting the install's CA, signed in.
        assert node.check("stat -c %a /etc/rancher/k3s/registries.yaml").strip() == "600"
        assert f"https://{first.address}:" in node.check("cat /etc/rancher/k3s/registries.yaml")
        assert "Image is up to date for sha256:" in node.check("k3s crictl pull hello/web:1.0.0")

    # A worker uninstalls with the installer it kept: no k3s, no state folder left.
    assert "Uninstalled" in third.check("/var/lib/airlift/installer/install uninstall --yes", workdir="/")
    assert third.exec("test -e /usr/local/bin/k3s || test -e /var/lib/airlift || pgrep -x k3s")[0] != 0

    events = first.check(f"cat {STATE}/events.jsonl")
    leaks = [line for line in events.splitlines() if token in line]
    assert not leaks, leaks
    assert token not in "\n".join(x for x in log.splitlines() if "./install join" not in x)
    for name in ("node-2", "node-3"):
        assert f'"phase": "/runtime/{name}"' in events
    assert '"hostname": "node-3"' in first.check(f"cat {STATE}/facts/node-3.json")  # its checks' facts
    plan = first.check(f"{INSTALL} plan --state-dir {STATE}", env={"COLUMNS": "200"})
    assert "/distribute/node-2" in plan and "/runtime/node-3" in plan


def test_the_installer_killed_mid_plan_resumes_and_its_agent_carries_on(lab_nodes, frozen_hello_bundle):
    """`flavor three` with both workers joined by command; the installer is killed (SIGKILL) while
    a worker's runtime phase runs; the agents keep retrying, and --resume completes the plan."""
    first, second, third = lab_nodes(3)
    for node in (first, second, third):
        unpack(node, frozen_hello_bundle)
    install_three_by_command(first, second, third)
    wait_for(first, "cat /root/install.log", lambda out: "▶ /runtime/node-2" in out, 300, also=(second, third))
    first.check("pkill -KILL -f '[b]in/airlift --cli'")
    assert "in_progress" in first.check(f"grep /runtime/node-2 {STATE}/plan-log.jsonl | tail -n 1")
    for node in (second, third):  # the agents notice the installer is gone, and keep trying
        wait_for(node, "cat /root/join.log", lambda out: "No answer from the installer" in out, 120)

    resumed = first.check(f"COLUMNS=250 {INSTALL} --resume", workdir="/")
    assert "Installed hello 1.0.0" in resumed, resumed
    listed = first.check("k3s kubectl get nodes")
    assert sorted(line.split()[0] for line in listed.splitlines()[1:] if " Ready " in f" {line} ") == \
        ["node-1", "node-2", "node-3"], listed
    for node in (second, third):
        wait_for(node, "cat /root/join.log.rc 2>/dev/null", lambda out: out.strip() == "0", 60)


def test_a_node_that_fails_a_check_stops_the_install_until_fixed(lab_nodes, frozen_hello_bundle):
    """A k3s already runs on node 3: /checks/node-3 fails naming the node and the check, nothing
    is installed on any node; once it is stopped, --resume completes."""
    first, second, third = lab_nodes(3)
    for node in (first, second, third):
        unpack(node, frozen_hello_bundle)
    third.check("cp /bin/sleep /root/k3s")
    third.container.exec_run(["/root/k3s", "3600"], detach=True)
    install_three_by_command(first, second, third)
    wait_for(first, "cat /root/install.log.rc 2>/dev/null", lambda out: out.strip() != "", 300, also=(second, third))
    log = first.check("cat /root/install.log")
    assert first.check("cat /root/install.log.rc").strip() == "1", log
    assert "Phase /checks/node-3 failed: 1 host check(s) failed on node node-3" in log
    assert "process-k3s" in log and "What to do:" in log
    assert first.exec("test -e /usr/local/bin/k3s")[0] != 0, "a failed check left k3s installed"

    third.check("pkill -x k3s")
    resumed = first.check(f"COLUMNS=250 {INSTALL} --resume", workdir="/")
    assert "Installed hello 1.0.0" in resumed, resumed
    listed = first.check("k3s kubectl get nodes")
    assert sorted(line.split()[0] for line in listed.splitlines()[1:] if " Ready " in f" {line} ") == \
        ["node-1", "node-2", "node-3"], listed


def test_a_changed_ssh_host_key_is_refused_before_anything_is_copied(lab_nodes, frozen_hello_bundle, tmp_path):
    """Node 1 recorded another key for the SSH host than the one it now shows (a reinstalled host,
    or someone in between): the install stops naming the host and both keys, copies nothing there
    and installs nothing, and the record is left as it was."""
    first, ssh_host = lab_nodes(2)
    unpack(first, frozen_hello_bundle)
    ssh_access(first, ssh_host, tmp_path)
    other = tmp_path / "other_host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    recorded = f"{ssh_host.address} {' '.join(other.with_suffix('.pub').read_text().split()[:2])}\n"
    first.check(f"mkdir -p -m 700 {STATE}")
    first.put_bytes(recorded.encode(), f"{STATE}/known_hosts", mode=0o600)
    remembered = subprocess.run(["ssh-keygen", "-lf", str(other.with_suffix(".pub"))], capture_output=True,
                                text=True, check=True).stdout.split()[1]

    code, out = first.exec(f"COLUMNS=250 {INSTALL} --cli --config /root/answers.yaml", workdir="/")
    assert code == 2, out
    said = " ".join(out.split())
    assert f"The SSH host key of {ssh_host.address} has CHANGED" in said and remembered in said, out
    assert f"ssh-keygen -R '{ssh_host.address}'" in said, out
    assert ssh_host.exec("ls -d /tmp/airlift.* 2>/dev/null")[1].strip() == "", "the installer was copied anyway"
    assert first.check(f"cat {STATE}/known_hosts") == recorded, "the recorded key was overwritten"
    assert first.exec("test -e /usr/local/bin/k3s")[0] != 0, "k3s was installed on node 1"
