"""Stopping on SIGINT and SIGTERM however the process was started.

A program started as a background job of a non-interactive shell (`sh -c './install &'`, a script,
some CI runners) inherits SIGINT ignored: Python then never raises KeyboardInterrupt, and Ctrl-C
or `kill -INT` does nothing. So every entry point of the installer (the command line, the wizard
server, the `join` agent, the `_cluster` controller) sets its own handlers when it starts, and
both signals stop it whatever it inherited: SIGINT as Ctrl-C does (KeyboardInterrupt), SIGTERM
the same way as `Terminated`, a KeyboardInterrupt, so every path that stops cleanly on Ctrl-C
stops cleanly on SIGTERM too.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop as on Ctrl-C."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated("stopped by SIGTERM")


def handle_stop_signals() -> None:
    """From now on SIGINT raises KeyboardInterrupt and SIGTERM Terminated in the main thread,
    whatever this process inherited (handlers can only be set from the main thread: elsewhere this
    does nothing, the process's main thread owns the signals)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _on_sigterm)


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """handle_stop_signals() for the block, then the handlers found before it again (for code that
    runs inside a host process, such as the wizard server under tests)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    handle_stop_signals()
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
