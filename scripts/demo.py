"""`make demo`: the operator's journey on a lab of bare hosts, on this machine.

    .venv/bin/python scripts/demo.py dist/hello-1.0.0.tar [--nodes 4] [--headless]

Starts N lab nodes (containers from the Debian minbase image, no Python, each with its own
address), copies the bundle to each and unpacks it in /opt. On a terminal it then runs
`./install` (the wizard) on node 1: open the printed link in a browser on this machine, and run
the join command the wizard shows on the other nodes. Without a terminal (or with --headless) it
walks the whole journey by itself: `./install --cli --flavor three` on node 1, the printed join
command on nodes 2 and 3, `./install status`; then day two: node 4 joins the installed cluster
with the join command `status` prints, and `./install remove node-4` takes it out again. Either
way the lab is removed at the end.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import docker

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "packaging")]

from tests.fixtures import lab  # noqa: E402 - after the path set-up above


def bundle_folder(tar: Path) -> str:
    """The single top folder of a bundle tar, e.g. hello-1.0.0."""
    with tarfile.open(tar) as t:
        return t.next().name.split("/")[0]  # type: ignore[union-attr]


def start_lab(client: docker.DockerClient, tar: Path, count: int) -> tuple[lab.LabNetwork, list[lab.LabNode]]:
    image = lab.ensure_image(client, REPO / ".cache" / "lab")
    net = lab.create_network(client)
    nodes: list[lab.LabNode] = []
    try:
        for index in range(1, count + 1):
            node = lab.start_node(client, image, net, index)
            nodes.append(node)
            node.put(tar, "/root")
            node.check(f"tar -C /opt -xf '/root/{tar.name}' && rm '/root/{tar.name}'")
            print(f"  node-{index}  {node.address}  ({node.name})", flush=True)
    except BaseException:
        stop_lab(net, nodes)
        raise
    return net, nodes


def stop_lab(net: lab.LabNetwork, nodes: list[lab.LabNode]) -> None:
    for node in nodes:
        lab.remove_quietly(node.container)
    lab.remove_quietly(net.network)


def headless(nodes: list[lab.LabNode], folder: str) -> int:
    """The journey with no one at the keyboard: install on node 1, join the others by command."""
    first, others = nodes[0], nodes[1:]
    install = f"/opt/{folder}/install"
    flavor = "three" if len(nodes) >= 3 else "one"
    print(f"Running `./install --cli --flavor {flavor} --accept-eula` on node-1 ({first.address}).\n", flush=True)
    first.container.exec_run(["/bin/sh", "-c", f"COLUMNS=120 {install} --cli --flavor {flavor} --accept-eula "
                              f"--advertise-addr {first.address} >/root/install.log 2>&1; echo $? >/root/install.rc"],
                             detach=True)
    shown, joined = 0, False
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        log = first.exec("cat /root/install.log")[1]
        print(log[shown:], end="", flush=True)
        shown = len(log)
        if not joined and flavor == "three" and "Waiting for nodes" in log:
            join_others(others[:2], log)
            joined = True
        done, code = first.exec("cat /root/install.rc")
        if done == 0 and code.strip():
            print(f"\n$ {install} status", flush=True)
            print(first.exec(f"COLUMNS=120 {install} status")[1], flush=True)
            result = int(code.strip())
            if result == 0 and flavor == "three" and len(nodes) >= 4:
                result = day_two(first, nodes[3], install)
            print("That was the headless journey. Run `make demo` in a terminal to walk it in the browser "
                  "wizard instead.", flush=True)
            return result
        time.sleep(1)
    print("The install did not finish within 10 minutes; see /root/install.log on node-1.", flush=True)
    return 1


def day_two(first: lab.LabNode, extra: lab.LabNode, install: str) -> int:
    """Grow the installed cluster by `extra` with the join command `status` prints, then shrink it."""
    status = first.exec(f"COLUMNS=250 {install} status")[1]
    line = next(x for x in status.splitlines() if x.strip().startswith("worker:"))
    argv = shlex.split(line.split(":", 1)[1])
    print(f"Day two. [node {extra.address}] $ {shlex.join(argv[:argv.index('--token') + 1])} …", flush=True)
    code, out = extra.exec(f"cd /opt/*/ && COLUMNS=120 {shlex.join(argv)} --advertise-addr {extra.address}")
    print(out, flush=True)
    if code != 0:
        return code
    print(f"$ {install} remove node-4 --yes", flush=True)
    code, out = first.exec(f"COLUMNS=120 {install} remove node-4 --yes")
    print(out, flush=True)
    return code


def join_others(nodes: list[lab.LabNode], install_log: str) -> None:
    """Run the printed worker join command on each node, as an operator would."""
    line = next(x for x in install_log.splitlines() if x.strip().startswith("worker ("))
    argv = shlex.split(line.split(":  ", 1)[1])
    for node in nodes:
        print(f"\n[node {node.address}] $ {shlex.join(argv[:argv.index('--token') + 1])} …", flush=True)
        node.container.exec_run(["/bin/sh", "-c", f"cd /opt/*/ && {shlex.join(argv)} --advertise-addr "
                                 f"{node.address} >/root/join.log 2>&1"], detach=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", type=Path, help="the bundle tar (make bundle writes dist/hello-<version>.tar)")
    parser.add_argument("--nodes", type=int, default=4,
                        help="how many lab nodes to start (default 4: three to install, one to add on day two)")
    parser.add_argument("--headless", action="store_true", default=not sys.stdin.isatty(),
                        help="walk the journey without a browser (the default without a terminal)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the lab is removed on SIGTERM too
    client = docker.from_env()
    folder = bundle_folder(args.bundle)
    print(f"Starting a lab of {args.nodes} bare Debian hosts with {args.bundle.name} in /opt/{folder}:", flush=True)
    net, nodes = start_lab(client, args.bundle.resolve(), args.nodes)
    first = nodes[0]
    print("\nA shell on a node:  docker exec -it NAME bash", flush=True)
    if args.headless:
        try:
            return headless(nodes, folder)
        finally:
            print("\nRemoving the lab.", flush=True)
            stop_lab(net, nodes)
    print(f"Running ./install on node-1 ({first.address}); open the link below in a browser here.", flush=True)
    print("For a cluster of three, run the join command the wizard's Nodes screen shows on two others;", flush=True)
    print("once installed, `./install status` on node-1 prints the command that adds the fourth:", flush=True)
    for node in nodes[1:]:
        print(f"  docker exec -w /opt/{folder} {node.name} ./install join … --advertise-addr {node.address}",
              flush=True)
    print(flush=True)
    try:
        tty = ["-it"] if sys.stdin.isatty() else []  # with a terminal, Ctrl-C reaches the wizard
        return subprocess.call(["docker", "exec", *tty, "-w", f"/opt/{folder}", first.name,
                                f"/opt/{folder}/install", "--listen", f"{first.address}:61009"])
    except KeyboardInterrupt:
        return 0
    finally:
        print("\nRemoving the lab.", flush=True)
        stop_lab(net, nodes)


if __name__ == "__main__":
    sys.exit(main())
