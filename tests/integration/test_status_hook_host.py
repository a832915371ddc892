"""The application's status hook after a one-host install (temp root + state dir, the k3s
stand-in): the cluster service runs hello's status Job every few seconds and `status --json`
shows its result; a bundle whose status hook fails makes the health degraded, with the reason
and the hook's last log lines, and (through the cluster service's metric) the StatusHookFailing
alert fires."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from installer.bundle import safe_extract
from tests.fixtures.build_fixtures import HELLO, build_hello
from tests.integration.installer_run import Target

pytestmark = pytest.mark.integration

INTERVAL = "5"  # the smallest status-interval the answers take


def install(bundle: Path, tmp: Path, *extra: str) -> Target:
    return Target.installed(bundle, tmp, "--status-interval", INTERVAL, *extra)


def status_json(target: Target) -> dict:
    return json.loads(target.run("status", "--json", *target.location()).stdout)


def wait_for_hook(target: Target, state: str, within: float = 120) -> dict:
    deadline = time.monotonic() + within
    while True:
        status = status_json(target)
        if status["status_hook"]["state"] == state or time.monotonic() > deadline:
            assert status["status_hook"]["state"] == state, status["status_hook"]
            return status
        time.sleep(2)


def hook_jobs(target: Target) -> list[str]:
    k3s = target.root / "usr/local/bin/k3s"
    out = subprocess.run([str(k3s), "kubectl", "--kubeconfig", str(target.root / "etc/rancher/k3s/k3s.yaml"),
                          "get", "jobs", "-o", "json"], capture_output=True, text=True, timeout=60, check=True).stdout
    return [j["metadata"]["name"] for j in json.loads(out)["items"] if j["metadata"]["name"].startswith("hello-status-")]


@pytest.fixture(scope="module")
def installed(hello_bundle_dir, tmp_path_factory):
    target = install(hello_bundle_dir, tmp_path_factory.mktemp("status-hook"))
    yield target
    assert target.uninstall().returncode == 0


def test_the_status_hooks_result_is_in_status(installed):
    status = wait_for_hook(installed, "ok")
    last = status["status_hook"]["last"]
    assert "hello status: the page greets with Hello from Airlift" in last["log"], last
    assert last["job"].startswith("hello-status-") and last["duration_s"] > 0
    assert status["condition"] == "healthy" and status["healthy"], status["reasons"]
    assert status["answers"]["status-interval"] == int(INTERVAL)
    first = last["job"]
    deadline = time.monotonic() + 60
    while status["status_hook"]["last"]["job"] == first and time.monotonic() < deadline:
        time.sleep(2)
        status = status_json(installed)
    assert status["status_hook"]["last"]["job"] != first  # run again, under a fresh name
    assert len(hook_jobs(installed)) <= 2  # the runs' Jobs do not pile up
    text = installed.run("status", *installed.location())
    assert text.returncode == 0 and "✓ application status hook passed" in text.stdout, text.stdout
    assert "Health: healthy" in text.stdout


def failing_bundle(tmp: Path, k3s: Path) -> Path:
    """hello 1.0.0 whose status hook says what is wrong and exits 3."""
    app = tmp / "hello-failing"
    shutil.copytree(HELLO, app, ignore=shutil.ignore_patterns(".images", "images", "next"))
    hook_file = app / "resources" / "status-hook.yaml"
    job = yaml.safe_load(hook_file.read_text())
    job["spec"]["template"]["spec"]["containers"][0]["args"] = ["echo 'hello status: the page is gone'; exit 3"]
    hook_file.write_text(yaml.safe_dump(job, sort_keys=False))
    safe_extract(build_hello(app / "app.yaml", tmp / "hello-1.0.0.tar", k3s), tmp / "unpacked")
    return tmp / "unpacked" / "hello-1.0.0"


def test_a_failing_status_hook_makes_status_degraded_with_why(tmp_path, frozen_k3s_standin):
    target = install(failing_bundle(tmp_path / "build", frozen_k3s_standin), tmp_path / "site", "--alert-for", "5s")
    try:
        status = wait_for_hook(target, "failed")
        hook = status["status_hook"]
        assert status["condition"] == "degraded" and not status["healthy"], status["reasons"]
        assert hook["last"]["exit_code"] == 3 and "hello status: the page is gone" in hook["last"]["log"], hook
        assert any(r.startswith("application status hook: failed") and "exit code 3" in r
                   for r in status["reasons"]), status["reasons"]
        text = target.run("status", *target.location())
        assert text.returncode == 1
        assert "Health: degraded" in text.stdout and "| hello status: the page is gone" in text.stdout, text.stdout
        # the cluster service's metric, scraped by Prometheus, fires the shipped rule
        deadline = time.monotonic() + 150
        while not (alerts := [r for r in status_json(target)["reasons"] if r.startswith("alert StatusHookFailing")]):
            assert time.monotonic() < deadline, status_json(target)["reasons"]
            time.sleep(3)
        assert "status hook fails" in alerts[0]
    finally:
        assert target.uninstall().returncode == 0
