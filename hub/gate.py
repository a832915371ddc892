"""How many of the hub's request threads run the application at once.

One hub process runs its requests on a pool of threads (hub/wsgi_server.py), but its Python runs
on one core at a time (the GIL). When every thread of the pool wants it, each wait on the network
or the database hands the GIL to another thread, and the one coming back waits in line for it:
much of a request's time goes on threads taking turns. Measured with bench/hub_bench.py (16
sites' check-ins in flight, three runs each way, alternated): with every thread running, 295-385
check-ins a second, 2.4-3.2 ms of hub CPU each, p99 77-119 ms; four at a time, 320-395 a second,
2.3-2.8 ms, p99 62-86 ms.

So the application's run of a request happens inside one of SLOTS slots, and waits for one before
it starts, in the order it came: a slot given back goes to the request that has waited longest,
not to whichever thread asks next (threading.Semaphore's way, which left some requests waiting
behind many later ones). Only the application's run: the TLS handshake and the request's head
come in before, and the answer's body goes out after, outside the gate, so no slot waits for a
client's round trips (a first version gated the whole connection, and its four slots spent most of
their time waiting for clients). A request that waits on its client or a site for long (a big
upload, a panel port's long-poll) runs outside the gate (hub/wsgi_server.py ByLocalPort). A slot
is never waited for longer than WAIT_S: a request that holds one and hangs (a client that stops
half way through a small body) slows the others down by that much, never stops them.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

SLOTS = 4  # about two per core: one runs Python while another waits on the network or database
WAIT_S = 1.0


class Gate:
    """At most `slots` requests running at once, each on its own thread, let in first come, first served."""

    def __init__(self, slots: int = SLOTS, wait_s: float = WAIT_S) -> None:
        self._lock = threading.Lock()
        self._free = slots
        self._queue: deque[threading.Lock] = deque()  # one locked lock per waiting thread
        self._wait_s = wait_s

    @contextmanager
    def inside(self) -> Iterator[None]:
        """Run the block in a slot (or without one, after WAIT_S of waiting)."""
        held = self._take()
        try:
            yield
        finally:
            if held:
                self._give_back()

    def _give_back(self) -> None:
        with self._lock:
            if self._queue:
                self._queue.popleft().release()  # the slot passes straight to the longest waiting
            else:
                self._free += 1

    def _take(self) -> bool:
        with self._lock:
            if self._free and not self._queue:
                self._free -= 1
                return True
            turn = threading.Lock()
            turn.acquire()
            self._queue.append(turn)
        if turn.acquire(timeout=self._wait_s):
            return True
        with self._lock:
            if turn in self._queue:  # still waiting: go on without a slot
                self._queue.remove(turn)
                return False
        return True  # handed a slot just as the wait ended


GATE = Gate()
