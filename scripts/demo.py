"""`make demo`: the operator's journey on a lab of bare hosts, on this machine.

    .venv/bin/python scripts/demo.py dist/hello-1.0.0.tar [--nodes 3]

Starts N lab nodes (containers from the Debian minbase image, no Python, each with its own
address), copies the bundle to each and unpacks it in /opt, then runs `./install` (the wizard)
on node 1 in this terminal. Open the printed link in a browser on this machine. Ctrl-C stops the
wizard, and the lab is removed.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tarfile
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", type=Path, help="the bundle tar (make bundle writes dist/hello-<version>.tar)")
    parser.add_argument("--nodes", type=int, default=3, help="how many lab nodes to start (default 3)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the lab is removed on SIGTERM too
    client = docker.from_env()
    folder = bundle_folder(args.bundle)
    print(f"Starting a lab of {args.nodes} bare Debian hosts with {args.bundle.name} in /opt/{folder}:", flush=True)
    net, nodes = start_lab(client, args.bundle.resolve(), args.nodes)
    first = nodes[0]
    print("\nA shell on a node:  docker exec -it NAME bash", flush=True)
    print(f"Running ./install on node-1 ({first.address}); open the link below in a browser here.\n", flush=True)
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
