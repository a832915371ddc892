"""The lock that makes one install at a time own a state directory.

flock is released by the kernel when the holder dies, so a SIGKILLed installer never leaves a
stale lock behind: `--resume` can always take it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from installer.errors import AirliftError
from installer.statedir import StateDir


class StateLock:
    """An exclusive lock on the state directory, held while a plan runs; released even on SIGKILL."""

    def __init__(self, state_dir: Path) -> None:
        self.path = StateDir(state_dir).lock
        self._fd: int | None = None

    def __enter__(self) -> StateLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AirliftError(f"Another ./install is running with the state directory {self.path.parent}",
                               hint="wait for it to finish, or stop it, then run ./install --resume") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def lock_held(state_dir: Path) -> bool:
    """Whether a running ./install (install, resume, uninstall, upgrade) holds the state
    directory now; asks without creating or taking anything, so a read-only command may ask."""
    try:
        fd = os.open(StateDir(state_dir).lock, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
