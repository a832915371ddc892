"""`./install remove NODE` as a real process: what it says when there is no cluster here, or when
the cluster controller does not answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from installer.agent_hub import token
from installer.statedir import StateDir
from installer.tls import ensure_certificate
from tests.fixtures.net import free_port
from tests.fixtures.terminal import run_on_terminal

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def remove(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "installer", "remove", *args], capture_output=True, text=True,
                          timeout=60, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"},
                          stdin=subprocess.DEVNULL)


def test_without_an_installed_cluster_it_says_where_to_run_it(tmp_path):
    done = remove("node-2", "--yes", "--state-dir", str(tmp_path / "nothing"))
    assert done.returncode == 2
    assert "No installed cluster in" in done.stdout and "first master" in done.stdout


def installed(tmp_path: Path) -> Path:
    """A state folder with the token, certificate and answers of an install (no controller runs)."""
    state = tmp_path / "state"
    state.mkdir()
    token.load_or_create(state)
    token.load_or_create_admin(state)
    ensure_certificate(state, "127.0.0.1")
    StateDir(state).answers.write_text(f"agent-port: {free_port()}\n")
    return state


def test_a_controller_that_does_not_answer_is_named_with_how_to_start_it(tmp_path):
    state = installed(tmp_path)
    done = remove("node-2", "--yes", "--state-dir", str(state))
    assert done.returncode == 2
    assert "The cluster controller (service airlift-cluster) does not answer on this host" in done.stdout
    assert "systemctl start airlift-cluster" in done.stdout and "_supervise airlift-cluster" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_on_a_terminal_it_asks_first_and_a_no_removes_nothing(tmp_path):
    state = installed(tmp_path)
    code, shown = run_on_terminal([sys.executable, "-m", "installer", "remove", "node-2", "--state-dir", str(state)],
                                  {**os.environ, "PYTHONPATH": str(REPO)}, [(b"[y/N]", b"n\n")])
    assert code == 1, shown
    assert "Drain node node-2, remove Kubernetes and Airlift from it" in shown and "Nothing removed." in shown
    assert "does not answer" not in shown, "nothing is asked of the controller before the answer"


def test_ctrl_c_the_instant_the_question_shows_removes_nothing(tmp_path):
    """A Ctrl-C pressed as the question appears may come before the command reads the answer:
    every time, it stops at once, saying nothing was removed."""
    state = installed(tmp_path)
    argv = [sys.executable, "-m", "installer", "remove", "node-2", "--state-dir", str(state)]
    for _ in range(12):
        code, shown = run_on_terminal(argv, {**os.environ, "PYTHONPATH": str(REPO)}, [(b"[y/N] ", b"\x03")],
                                      timeout=15, at_once=True)
        assert code == 130, shown
        assert "Interrupted. Nothing removed." in shown and "Traceback" not in shown
