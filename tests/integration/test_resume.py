"""Kill the installer (SIGKILL) inside each phase in turn; `--resume` then completes every time."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.installer_run import REPO, Target, files_under, hold_port, leftover_processes

pytestmark = pytest.mark.integration

HARNESS = Path(__file__).with_name("resume_harness.py")
PHASES = ["/checks", "/bootstrap", "/registry", "/runtime", "/app", "/cluster-service"]


def last_states(state: Path) -> dict[str, str]:
    states: dict[str, str] = {}
    for line in (state / "plan-log.jsonl").read_text().splitlines():
        change = json.loads(line)
        states[change["phase"]] = change["state"]
    return states


def test_resume_after_sigkill_inside_each_phase_in_turn(hello_bundle_dir, tmp_path):
    """The first install killed inside /checks, then each `--resume` killed inside the next phase
    (it first redoes the phase the one before was killed in); the last `--resume` completes."""
    target = Target.make(hello_bundle_dir, tmp_path)
    target.root.mkdir()
    try:
        for number, phase in enumerate(PHASES):
            args = target.install_args("--resume") if number else target.install_args()
            killed = subprocess.run([sys.executable, str(HARNESS), phase, *args], cwd=REPO,
                                    env=target.env(), capture_output=True, text=True, timeout=300)
            assert killed.returncode == -signal.SIGKILL, f"killing inside {phase}:\n{killed.stdout}{killed.stderr}"
            states = last_states(target.state)
            assert states[phase] == "in_progress", (phase, states)
            assert all(states[p] == "completed" for p in PHASES[:number]), (phase, states)
            if not number:
                refused = target.install()  # a plain start is refused: the install exists
                assert refused.returncode == 2 and "--resume" in refused.stdout

        resumed = target.run(*target.install_args("--resume"))
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert "Installed hello 1.0.0" in resumed.stdout
        assert set(last_states(target.state).values()) == {"completed"}
        status = target.run("status", *target.location())
        assert status.returncode == 0, status.stdout
    finally:
        assert target.uninstall().returncode == 0
    assert files_under(target.root) == [] and leftover_processes(target.root, target.state) == []


def test_a_failed_phase_says_what_to_do_and_resume_completes_once_fixed(hello_bundle_dir, tmp_path):
    """The registry cannot bind its port (the check was skipped): /registry fails with the cause,
    the fix and the log; once the port is free, --resume completes."""
    target = Target.make(hello_bundle_dir, tmp_path)
    target.root.mkdir()
    holder = hold_port(target.registry_port)
    try:
        failed = target.install("--skip-check", f"port-tcp-{target.registry_port}")
    finally:
        holder.kill()
        holder.wait()
    try:
        assert failed.returncode == 2, failed.stdout + failed.stderr
        out = failed.stdout
        assert "Phase /registry failed" in out and "keeps exiting instead of answering" in out
        assert "What to do:" in out and "./install --resume" in out and "Log:" in out
        assert last_states(target.state)["/registry"] == "failed"
        plan = target.run("plan", *target.location())
        assert "failed" in plan.stdout and "keeps exiting" in plan.stdout
        resumed = target.run(*target.install_args("--resume"))
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert set(last_states(target.state).values()) == {"completed"}
    finally:
        assert target.uninstall().returncode == 0
    assert files_under(target.root) == [] and leftover_processes(target.root, target.state) == []
