"""When the cluster service checks in next: every interval with some jitter, so a thousand sites
installed the same morning do not all knock at once; after a failure later and later (doubling
up to a cap), so a hub that was down for an hour is not flooded when it comes back, and sites
catch up on its return within one capped wait."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from pathlib import Path

from installer.errors import AirliftError
from installer.hub_link.link import read_link, read_state
from installer.hub_link.transport import HubRefused
from installer.statedir import StateDir

log = logging.getLogger("installer.hub_link")

JITTER = 0.1  # each wait is the nominal one ±10 %
CAP_S = 900.0  # failures never push a check-in further than 15 min (or the interval, if longer)
UNLINKED_POLL_S = 5.0  # not linked (or disconnected by the hub): look this often whether that changed


def next_delay(interval: float, failures: int, rand: Callable[[], float] = random.random) -> float:
    """Seconds until the next check-in after `failures` failed ones in a row."""
    nominal = min(max(interval, CAP_S), interval * 2.0 ** min(failures, 32))
    return float(nominal * (1 - JITTER + 2 * JITTER * rand()))


class CheckInLoop:
    """Checks in every `interval` seconds while the site is linked; `check` is one check-in."""

    def __init__(self, state_dir: Path, interval: float, check: Callable[[], object],
                 rand: Callable[[], float] = random.random) -> None:
        self.paths, self.interval, self.check, self.rand = StateDir(state_dir), float(interval), check, rand
        self.failures = 0

    def serve(self, stop: threading.Event) -> None:
        stop.wait(self.rand() * min(self.interval, 30.0))  # a fleet restarted at once spreads out
        while not stop.is_set():
            stop.wait(self.turn())

    def turn(self) -> float:
        """One check-in if linked; the seconds to wait before the next turn."""
        if read_link(self.paths) is None or read_state(self.paths).get("disconnected_by_hub"):
            self.failures = 0
            return UNLINKED_POLL_S
        try:
            self.check()
            self.failures = 0
        except HubRefused as exc:
            self.failures += 1
            log.warning("the hub refused the check-in (HTTP %d): %s", exc.status, exc.message)
        except AirliftError as exc:
            self.failures += 1
            log.warning("check-in failed: %s", exc.message)
        except Exception:  # the next one may well succeed; the service keeps serving its API
            self.failures += 1
            log.exception("check-in failed")
        return next_delay(self.interval, self.failures, self.rand)
