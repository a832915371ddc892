"""Ctrl-C at a question on the terminal stops the command, however soon after the question it
comes. The hard case: Ctrl-C lands after the question is printed but before the read of the
answer has begun. Python then only notes the signal, and a read that has begun is not
interrupted by it: the command would wait for an answer that never comes. A child on a real
terminal (a pty) reproduces that moment every time: the kernel hands the Ctrl-C to another
thread of the child, so the thread waiting for the answer is never interrupted, exactly as when
the signal came just before its read. Typed answers still arrive as typed, a password unseen."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time

import pytest

from tests.fixtures.terminal import REPO, wait_reading_the_terminal

# The child asks with the product's code, as the command line does; the one thread where the
# Ctrl-C may land is started before the asking thread blocks SIGINT.
CHILD = """
import signal, sys, threading
from rich.console import Console
from installer.cli.commands import confirmed
from installer.cli.typed import typed_secret
from installer.stopping import handle_stop_signals

handle_stop_signals()
threading.Thread(target=threading.Event().wait, daemon=True).start()
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
try:
    if sys.argv[1] == "question":
        answer = confirmed(Console(highlight=False), "Upgrade hello 1.0.0 to 1.1.0?")
    else:
        answer = typed_secret("SSH password for node-2: ")
except KeyboardInterrupt:
    print("Interrupted: nothing was changed.")
    sys.exit(130)
print("answered", repr(answer))
"""
PROMPTS = {"question": b"[y/N] ", "secret": b"node-2: "}


def type_at(kind: str, keys: bytes, timeout: float = 10) -> tuple[int | None, str]:
    """Start the child on a pty, type `keys` once it waits for its answer; (exit code or None when
    it still waited after `timeout`, screen)."""
    pid, terminal = pty.fork()
    if pid == 0:
        os.chdir(REPO)
        os.execve(sys.executable, [sys.executable, "-c", CHILD, kind], {**os.environ, "PYTHONPATH": str(REPO)})
    screen = b""
    try:
        while PROMPTS[kind] not in screen:
            assert select.select([terminal], [], [], timeout)[0], screen
            screen += os.read(terminal, 4096)
        wait_reading_the_terminal(pid, timeout)
        os.write(terminal, keys)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if select.select([terminal], [], [], 0.05)[0]:
                try:
                    screen += os.read(terminal, 4096)
                except OSError:  # the child closed the terminal
                    pass
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status), screen.decode(errors="replace")
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return None, screen.decode(errors="replace")
    finally:
        os.close(terminal)


@pytest.mark.parametrize("kind", PROMPTS)
def test_ctrl_c_that_does_not_interrupt_the_read_still_stops(kind):
    code, screen = type_at(kind, b"\x03")
    assert code == 130, f"still waiting for an answer after Ctrl-C:\n{screen}"
    assert "Interrupted: nothing was changed." in screen and "answered" not in screen


def test_what_is_typed_is_the_answer_and_a_secret_is_not_shown():
    code, screen = type_at("question", b" Yes\n")
    assert code == 0 and "[y/N]  Yes" in screen and "answered True" in screen, screen
    code, screen = type_at("secret", b"s3cret-Pw\n")
    assert code == 0 and "answered 's3cret-Pw'" in screen, screen
    assert screen.count("s3cret-Pw") == 1, f"the password was echoed:\n{screen}"
