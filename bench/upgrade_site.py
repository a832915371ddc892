"""The site the upgrade bench upgrades: a first master installed on this host the way the
integration tests install (temp root and state dir, the k3s stand-in; tests/integration/installer_run.py),
and workers in network namespaces (tests/fixtures/netns_lab.py), so what the upgrade sends a
node crosses a real interface and can be counted there, TLS and all.

This host is the first master at the bridge's .254 address; worker i is node i of the lab, with its
own hostname (a UTS namespace) so Kubernetes sees another node. Everything is removed on the way
out, failed or interrupted: the workers' uninstalls, the master's uninstall, then the lab.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from upgrade_figures import io_counters

from installer.statedir import StateDir
from installer.tls import saved_fingerprint
from tests.fixtures.netns_lab import NetnsLab
from tests.integration.installer_run import Target, leftover_processes

REPO = Path(__file__).resolve().parents[1]
WORKER = "bench-worker"
INSTALL_TIMEOUT_S = 1800


@dataclass
class Upgraded:
    """What one run of `install upgrade --yes` took: wall seconds, its /proc/PID/io (its own
    I/O plus that of every child it waited for) and its output."""

    seconds: float
    io: dict[str, int]
    output: str


class Worker:
    """A worker node: `install join` run inside the lab's namespace `index` under its own hostname."""

    def __init__(self, lab: NetnsLab, master: Target, tmp: Path, index: int) -> None:
        self.lab, self.master, self.index = lab, master, index
        self.name = f"{WORKER}-{index + 1}"
        self.root, self.state = tmp / f"{self.name}-root", tmp / f"{self.name}-state"
        self.root.mkdir()

    def _installer(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        # nsenter, not `ip netns exec`: that mounts a fresh /sys, hiding the host's cgroups a node is checked for
        script = f'hostname {self.name} && exec "$@"'
        argv = ["nsenter", f"--net=/run/netns/{self.lab.ns(self.index)}", "unshare", "--uts", "sh", "-c", script, "sh",
                sys.executable, "-m", "installer", *args, "--state-dir", str(self.state), "--root", str(self.root)]
        return subprocess.run(argv, cwd=REPO, env=self.master.env(), capture_output=True, text=True,
                              timeout=timeout)

    def join(self, master_address: str, token_file: Path) -> None:
        done = self._installer("join", f"{master_address}:{self.master.agent_port}", "--token-file", str(token_file),
                               "--fingerprint", str(saved_fingerprint(self.master.state)), "--role", "worker",
                               "--advertise-addr", self.lab.address(self.index), timeout=INSTALL_TIMEOUT_S)
        if done.returncode != 0:
            raise RuntimeError(f"the worker could not join:\n{done.stdout}{done.stderr}")

    def uninstall(self) -> subprocess.CompletedProcess[str]:
        return self._installer("uninstall", "--yes", timeout=300)

    def interface_bytes(self) -> tuple[int, int]:
        """(received, sent) bytes of the worker's only LAN interface, as the kernel counts them."""
        stats = "/sys/class/net/eth0/statistics"
        out = self.lab.run(self.index, ["cat", f"{stats}/rx_bytes", f"{stats}/tx_bytes"]).stdout.split()
        return int(out[0]), int(out[1])


@contextmanager
def lan(nodes: int) -> Iterator[tuple[NetnsLab, str]]:
    """A lab of `nodes` whose bridge also carries this host, at .254: the first master's address,
    and each node's default route (k3s needs one)."""
    with NetnsLab(nodes) as lab:
        address = f"10.213.{lab.octet}.254"
        subprocess.run(["ip", "addr", "add", f"{address}/24", "dev", lab.bridge], check=True)
        for i in range(nodes):
            subprocess.run(["ip", "-n", lab.ns(i), "route", "add", "default", "via", address], check=True)
        yield lab, address  # the address goes with the bridge


@dataclass
class Site:
    master: Target
    workers: list[Worker]
    install_s: float

    @property
    def worker(self) -> Worker | None:
        """The first worker, if any (the upgrade bench counts what crosses its interface)."""
        return self.workers[0] if self.workers else None


@contextmanager
def site(bundle: Path, tmp: Path, workers: int) -> Iterator[Site]:
    """`bundle` installed on this host and joined by `workers` worker nodes; every part of it
    removed on the way out, even when setting it up failed half way."""
    with ExitStack() as stack:
        lab, address = stack.enter_context(lan(workers)) if workers else (None, "127.0.0.1")
        master = Target.make(bundle, tmp)
        master.root.mkdir(parents=True)
        stack.callback(_remove, master)
        start = time.monotonic()
        done = master.install("--advertise-addr", address)
        install_s = time.monotonic() - start
        if done.returncode != 0:
            raise RuntimeError(f"installing {bundle.name} failed:\n{done.stdout}{done.stderr}")
        joined = []
        if lab is not None:
            token = tmp / "join-token"
            token.write_text(StateDir(master.state).join_token.read_text())
            for index in range(workers):
                worker = Worker(lab, master, tmp, index)
                stack.callback(_remove, worker)
                worker.join(address, token)
                joined.append(worker)
        yield Site(master, joined, install_s)


def _remove(part: Target | Worker) -> None:
    """Uninstall one node; say so on stderr when that failed or left processes running."""
    done = part.uninstall()
    left = leftover_processes(part.root, part.state)
    if done.returncode != 0:
        print(f"warning: uninstalling {part.root} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}",
              file=sys.stderr)
    if left:
        print(f"warning: processes of {part.root} still run after its uninstall:\n  " + "\n  ".join(left),
              file=sys.stderr)


def upgrade(master: Target, new_bundle: Path, log: Path) -> Upgraded:
    """`install upgrade --yes` from `new_bundle` on the master, timed; its I/O counters are read
    while it is a zombie (waitid WNOWAIT), when they hold every child it reaped and nothing else."""
    newer = dataclasses.replace(master, bundle=new_bundle)
    with log.open("w") as out:
        start = time.monotonic()
        proc = subprocess.Popen(newer.argv(["upgrade", "--yes", *newer.location()]), cwd=REPO, env=newer.env(),
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        try:
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
            seconds = time.monotonic() - start
            io = io_counters(Path(f"/proc/{proc.pid}/io").read_text())
        except BaseException:
            proc.terminate()  # interrupted: the upgrade stops too, then the site is removed
            proc.wait()
            raise
        code = proc.wait()
    output = log.read_text()
    if code != 0:
        raise RuntimeError(f"install upgrade exited with {code}:\n{output[-4000:]}")
    return Upgraded(seconds, io, output)
