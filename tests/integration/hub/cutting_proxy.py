"""A TCP relay to the hub that cuts the connection once, after `cut_after` bytes from the client
(an upload broken half way) or, with `downstream`, from the hub (a download broken half way),
with TLS end to end (the pinned fingerprint is still the hub's)."""

from __future__ import annotations

import socket
import threading

from tests.integration.hub.relay import LoopbackRelay, relay


class CuttingProxy(LoopbackRelay):
    def __init__(self, target_port: int, cut_after: int, downstream: bool = False) -> None:
        self.target_port = target_port
        self.cut_after = cut_after
        self.downstream = downstream
        self.cuts = 0
        self._sent = 0
        self._lock = threading.Lock()
        super().__init__()

    def _handle(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        if self.downstream:
            relay(client, upstream, cut_down=self._cut_now)
        else:
            relay(client, upstream, cut_up=self._cut_now)

    def _cut_now(self, n: int) -> bool:
        with self._lock:
            if self.cuts:
                return False
            self._sent += n
            if self._sent >= self.cut_after:
                self.cuts += 1
                return True
            return False
