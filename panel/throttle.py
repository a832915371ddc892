"""Slowing down password guessing: after FREE_TRIES wrong passwords from one address, each further
try from it must wait, twice as long each time (1 s, 2 s, 4 s … up to MAX_WAIT_S). A right password
clears the address's count. Addresses not seen for FORGET_AFTER_S are forgotten, and at most
MAX_ADDRESSES are remembered, so a flood of addresses cannot fill the memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

FREE_TRIES = 10
MAX_WAIT_S = 300.0
FORGET_AFTER_S = 3600.0
MAX_ADDRESSES = 10_000


@dataclass
class _Record:
    failures: int
    last: float


class Throttle:
    """Wrong sign-ins counted per source address."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, _Record] = {}

    def wait_for(self, address: str) -> float:
        """Seconds `address` must still wait before its next try (0: it may try now)."""
        with self._lock:
            record = self._seen.get(address)
            if record is None:
                return 0.0
            return max(0.0, record.last + delay(record.failures) - self._clock())

    def failed(self, address: str) -> int:
        """Count one wrong password from `address`; its failures so far."""
        now = self._clock()
        with self._lock:
            self._forget_old(now)
            record = self._seen.setdefault(address, _Record(0, now))
            record.failures += 1
            record.last = now
            return record.failures

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._seen.pop(address, None)

    def _forget_old(self, now: float) -> None:
        for address, record in list(self._seen.items()):
            if now - record.last > FORGET_AFTER_S:
                del self._seen[address]
        while len(self._seen) >= MAX_ADDRESSES:
            del self._seen[min(self._seen, key=lambda a: self._seen[a].last)]


def delay(failures: int) -> float:
    """The wait after `failures` wrong passwords: none for the first FREE_TRIES - 1, then growing."""
    if failures < FREE_TRIES:
        return 0.0
    return min(MAX_WAIT_S, 2.0 ** (failures - FREE_TRIES))
