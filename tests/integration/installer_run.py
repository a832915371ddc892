"""Running the installer as the operator does, from the sources, on a temp root and state dir.

Each `Target` has its own root prefix, state directory and free ports, so tests never touch the
real host's /etc or /var and never collide with other tests running at the same time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.fixtures.net import free_port

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Target:
    bundle: Path
    root: Path
    state: Path
    registry_port: int
    api_port: int
    agent_port: int  # the cluster service listens there once installed
    # exporter, Prometheus, Alertmanager, registry metrics: free ports, so installs side by side never collide
    monitoring_ports: tuple[int, int, int, int] = field(
        default_factory=lambda: (free_port(), free_port(), free_port(), free_port()))
    panel_port: int = field(default_factory=free_port)  # the control panel's, once installed

    @classmethod
    def make(cls, bundle: Path, tmp: Path) -> Target:
        return cls(bundle, tmp / "root", tmp / "state", free_port(), free_port(), free_port())

    @classmethod
    def installed(cls, bundle: Path, tmp: Path, *extra: str) -> Target:
        """`bundle` installed under `tmp` (a temp root and state dir, the k3s stand-in) with the
        install flags `extra`; the install must succeed. The caller uninstalls."""
        target = cls.make(bundle, tmp)
        target.root.mkdir(parents=True)
        result = target.install(*extra)
        assert result.returncode == 0, result.stdout + result.stderr
        return target

    def env(self) -> dict[str, str]:
        return {**os.environ, "AIRLIFT_BUNDLE_DIR": str(self.bundle), "COLUMNS": "200"}

    def location(self) -> list[str]:
        return ["--root", str(self.root), "--state-dir", str(self.state)]

    def answer_args(self) -> list[str]:
        # Other tests on this machine may run their own k3s (stand-in) at the same time; that is
        # not a conflict for an install under a temp root, so that one check is skipped.
        exporter, prometheus, alertmanager, registry_metrics = self.monitoring_ports
        return ["--advertise-addr", "127.0.0.1", "--registry-port", str(self.registry_port),
                "--api-port", str(self.api_port), "--agent-port", str(self.agent_port), "--panel-port", str(self.panel_port), "--skip-check", "process-k3s",
                "--accept-eula",
                "--exporter-port", str(exporter), "--monitoring-port", str(prometheus),
                "--alertmanager-port", str(alertmanager), "--registry-metrics-port", str(registry_metrics),
                *self.location()]

    def install_args(self, *extra: str) -> list[str]:
        return ["--cli", *self.answer_args(), *extra]

    def argv(self, args: list[str], entry: list[str] | None = None) -> list[str]:
        return [*(entry or [sys.executable, "-m", "installer"]), *args]

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(list(args)), cwd=REPO, env=self.env(), capture_output=True,
                              text=True, timeout=timeout)

    def install(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.run(*self.install_args(*extra))

    def uninstall(self) -> subprocess.CompletedProcess[str]:
        return self.run("uninstall", "--yes", *self.location())


def leftover_processes(*folders: Path) -> list[str]:
    """Command lines of running processes that belong to an install (its root or state folder)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if any(str(folder) in cmdline for folder in folders):
            found.append(cmdline)
    return found


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


HOLD_PORT = ("import socket, sys, time; s = socket.socket(); s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(); "
             "print('ready', flush=True); time.sleep(600)")


def hold_port(port: int) -> subprocess.Popen[str]:
    """Another program holding a TCP port on every address (as a foreign service would)."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_PORT, str(port)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    return holder
