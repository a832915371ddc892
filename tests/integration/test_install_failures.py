"""What the operator sees when the host misbehaves during an install, and that --resume then
completes: k3s never becoming Ready."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest

from installer.host import Host
from tests.integration.installer_run import REPO, Target, files_under, leftover_processes

pytestmark = pytest.mark.integration


def run(target: Target, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(target.argv(list(args)), cwd=REPO, env={**target.env(), **env}, capture_output=True,
                          text=True, timeout=300)


def test_k3s_never_ready_fails_within_the_ready_timeout_naming_the_node_then_resume_completes(
        hello_bundle_dir, tmp_path):
    target = Target.make(hello_bundle_dir, tmp_path)
    target.root.mkdir()
    node = socket.gethostname()
    try:
        began = time.monotonic()
        failed = run(target, *target.install_args("--ready-timeout", "3"), K3S_STANDIN_NEVER_READY="1")
        assert time.monotonic() - began < 60
        out = failed.stdout
        assert failed.returncode == 2, out + failed.stderr
        assert f"Kubernetes node {node} did not become Ready within 3s" in out
        assert str(target.root / "var/log/airlift/k3s.log") in out  # the log to read
        assert "ready-timeout" in out and "./install --resume" in out and "Traceback" not in out
        plan = target.run("plan", *target.location()).stdout
        assert plan.count("completed") == 3 and "failed" in plan  # /checks, /bootstrap, /registry

        Host(target.root).services.stop("k3s")  # the operator fixes k3s and restarts it
        resumed = target.run("--resume", *target.location())
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert f"Node {node} is Ready" in resumed.stdout and "Installed hello 1.0.0" in resumed.stdout
    finally:
        assert target.uninstall().returncode == 0
    assert files_under(target.root) == [] and leftover_processes(target.root, target.state) == []
