"""What the operator types at a question or a password prompt, read so that Ctrl-C always stops.

input() and getpass block in a read(2) of the terminal. Python's SIGINT handler only notes the
signal; KeyboardInterrupt is raised at the next Python instruction, or when the signal interrupts
that read. A Ctrl-C that lands after the prompt is printed but before the read has begun
interrupts nothing: the read then waits for an answer the operator will not type, and the
command hangs instead of saying "nothing was changed". Here the terminal is first watched in short
turns; between two turns Python acts on a noted Ctrl-C, so it stops the command within a turn,
whenever it came. The terminal stays in its line mode: the line is read once Enter was pressed.
"""

from __future__ import annotations

import io
import os
import select
import sys
import termios
from typing import TextIO

TURN_S = 0.1  # how long a Ctrl-C noted just before the wait can go unanswered


def typed_line(terminal: TextIO | None = None) -> str:
    """The next line typed on `terminal` (standard input by default), without its newline;
    EOFError when input ends (Ctrl-D), KeyboardInterrupt on Ctrl-C however soon it came."""
    terminal = terminal or sys.stdin
    while not select.select([terminal], [], [], TURN_S)[0]:
        pass
    line = terminal.readline()
    if not line:
        raise EOFError("the input ended before an answer was typed")
    return line.rstrip("\n")


def typed_secret(prompt: str) -> str:
    """getpass.getpass(prompt) with Ctrl-C as sure to stop it as at a question: the prompt on the
    controlling terminal (as getpass, so a redirected output does not take it), nothing echoed."""
    fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    with io.TextIOWrapper(io.FileIO(fd, "r+"), encoding="utf-8") as tty:
        shown = termios.tcgetattr(fd)
        hidden = [*shown]
        hidden[3] = shown[3] & ~termios.ECHO
        termios.tcsetattr(fd, termios.TCSAFLUSH, hidden)
        try:
            tty.write(prompt)
            tty.flush()
            return typed_line(tty)
        finally:
            termios.tcsetattr(fd, termios.TCSAFLUSH, shown)
            tty.write("\n")
            tty.flush()
