"""What the operator sees when the host misbehaves during an install, and that --resume then
completes: k3s never becoming Ready, the registry binary exiting at start."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from installer.host import Host
from installer.services import manager_for
from installer.services.names import REGISTRY
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
        out = " ".join(failed.stdout.split())  # as read: the error is wrapped to the terminal's width
        assert failed.returncode == 2, failed.stdout + failed.stderr
        assert f"Kubernetes node {node} did not become Ready within 3s" in out
        assert str(target.root / "var/log/airlift/k3s.log") in out  # the log to read
        assert "to wait longer, add --ready-timeout SECONDS, then run" in out
        assert "Traceback" not in out
        plan = target.run("plan", *target.location()).stdout
        assert plan.count("completed") == 3 and "failed" in plan  # /checks, /bootstrap, /registry
        status = target.run("status", *target.location())
        assert status.returncode == 1 and "✗ node" in status.stdout
        assert "30080" not in status.stdout  # no endpoint announced for an application not installed

        manager_for(Host(target.root)).stop("k3s")  # the operator fixes k3s and restarts it
        resumed = target.run("--resume", "--ready-timeout", "60", *target.location())
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert f"Waiting up to 60s (answer ready-timeout) for node {node}" in resumed.stdout
        assert f"Node {node} is Ready" in resumed.stdout and "Installed hello 1.0.0" in resumed.stdout
        assert "ready-timeout: 60" in (target.state / "answers.yaml").read_text()  # kept for later runs
    finally:
        assert target.uninstall().returncode == 0
    assert files_under(target.root) == [] and leftover_processes(target.root, target.state) == []


def patched_bundle(bundle: Path, folder: Path, path: str, data: bytes) -> Path:
    """A copy of `bundle` with the file `path` replaced by `data` (index updated, as a vendor's build
    would write it); the other files are hard links, never written through."""
    copy = folder / bundle.name
    shutil.copytree(bundle, copy, copy_function=os.link)
    for stored in (copy / path, copy / f"{path}.zst", copy / "index.json"):
        stored.unlink(missing_ok=True)
    (copy / path).write_bytes(data)
    (copy / path).chmod(0o755)
    index = json.loads((bundle / "index.json").read_text())
    for entry in index["files"]:
        if entry["path"] == path:
            entry.pop("zstd", None)
            entry.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    (copy / "index.json").write_text(json.dumps(index))
    return copy


EXITING_REGISTRY = b'#!/bin/sh\necho "registry: configuration error: no storage driver" >&2\nexit 1\n'


def test_a_registry_exiting_at_start_fails_fast_with_its_log_and_resume_completes(hello_bundle_dir, tmp_path):
    broken = patched_bundle(hello_bundle_dir, tmp_path / "broken", "runtime/registry", EXITING_REGISTRY)
    target = Target.make(broken, tmp_path)
    target.root.mkdir()
    try:
        began = time.monotonic()
        failed = target.install()
        assert time.monotonic() - began < 40  # not the whole 60 s wait for an answer
        out = failed.stdout
        assert failed.returncode == 2, out + failed.stderr
        assert "Phase /registry failed: The registry program keeps exiting" in out
        assert "registry: configuration error: no storage driver" in out  # the program's own words
        assert str(target.root / "var/log/airlift/airlift-registry.log") in out and "--resume" in out
        assert not manager_for(Host(target.root)).is_running(REGISTRY)  # not left crash-looping

        target.bundle = hello_bundle_dir  # the operator unpacks an intact copy of the bundle
        resumed = target.run("--resume", *target.location())
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert "Installed hello 1.0.0" in resumed.stdout
    finally:
        assert target.uninstall().returncode == 0
    assert files_under(target.root) == [] and leftover_processes(target.root, target.state) == []


def test_a_disk_filling_up_mid_install_names_the_file_and_resume_completes_once_there_is_room(
        hello_bundle_dir, tmp_path):
    target = Target.make(hello_bundle_dir, tmp_path)
    target.root.mkdir()
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "airlift-test-filling", str(small)], check=True)
    target.state = small / "state"
    try:
        # The state-dir check would refuse this disk up front; skipped, the disk fills in /registry.
        failed = target.install("--skip-check", "state-dir")
        out = failed.stdout
        assert failed.returncode == 2, out + failed.stderr
        assert f"Cannot write {target.state}/registry/bin/registry: No space left on device" in out
        assert "What to do: Free space on that disk, or make the folder writable, then run ./install --resume" in out
        subprocess.run(["mount", "-o", "remount,size=200m", str(small)], check=True)
        resumed = target.run("--resume", *target.location())
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    finally:
        assert target.uninstall().returncode == 0
        subprocess.run(["umount", str(small)], check=True)
    assert files_under(target.root) == [] and leftover_processes(target.root, target.state) == []


EXITING_K3S = b'#!/bin/sh\necho "k3s: fatal: listen tcp :6443: bind: address already in use" >&2\nexit 1\n'


def test_a_k3s_exiting_at_start_fails_before_the_ready_timeout_and_resume_completes(hello_bundle_dir, tmp_path):
    broken = patched_bundle(hello_bundle_dir, tmp_path / "broken", "runtime/k3s", EXITING_K3S)
    target = Target.make(broken, tmp_path)
    target.root.mkdir()
    try:
        began = time.monotonic()
        failed = target.install()  # the default ready-timeout is 300 s
        assert time.monotonic() - began < 90
        out = failed.stdout
        assert failed.returncode == 2, out + failed.stderr
        assert f"k3s keeps exiting, so Kubernetes node {socket.gethostname()} cannot become Ready" in out
        assert "bind: address already in use" in out and str(target.root / "var/log/airlift/k3s.log") in out
        assert not manager_for(Host(target.root)).is_running("k3s")  # not left crash-looping

        target.bundle = hello_bundle_dir  # the cause fixed (here: an intact k3s binary)
        resumed = target.run("--resume", *target.location())
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    finally:
        assert target.uninstall().returncode == 0
    assert files_under(target.root) == [] and leftover_processes(target.root, target.state) == []
