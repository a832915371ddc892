"""A TCP relay to the hub that cuts the connection once, after `cut_after` bytes from the client
(an upload broken half way) or, with `downstream`, from the hub (a download broken half way),
with TLS end to end (the pinned fingerprint is still the hub's)."""

from __future__ import annotations

import socket
import threading

from tests.fixtures.net import free_port


class CuttingProxy:
    def __init__(self, target_port: int, cut_after: int, downstream: bool = False) -> None:
        self.target_port = target_port
        self.cut_after = cut_after
        self.downstream = downstream
        self.cuts = 0
        self.port = free_port()
        self._sent = 0
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pipe, args=(client, upstream, not self.downstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, self.downstream), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, counted: bool) -> None:
        try:
            while data := src.recv(65536):
                if counted and self._cut_now(len(data)):
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _cut_now(self, n: int) -> bool:
        with self._lock:
            if self.cuts:
                return False
            self._sent += n
            if self._sent >= self.cut_after:
                self.cuts += 1
                return True
            return False
