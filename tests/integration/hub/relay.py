"""What the test proxies in front of the hub share (connect_proxy.py, cutting_proxy.py): a listener
on a free loopback port that hands each connection to a thread of its own, and the two-way byte
relay between a client and its upstream, either side of which may be cut."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

from tests.fixtures.net import free_port

Cut = Callable[[int], bool]  # given the size of the next chunk: True drops the connection instead


class LoopbackRelay:
    """Listens on 127.0.0.1:`port` from construction on; subclasses say what `_handle` does with a
    connection (set their own attributes before calling this __init__: connections may come at once)."""

    def __init__(self) -> None:
        self.port = free_port()
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
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        raise NotImplementedError


def relay(client: socket.socket, upstream: socket.socket, cut_up: Cut | None = None,
          cut_down: Cut | None = None) -> None:
    """Copy bytes both ways until either side ends (or a cut drops the pair), then close both."""
    threading.Thread(target=_pipe, args=(upstream, client, cut_down), daemon=True).start()
    _pipe(client, upstream, cut_up)


def _pipe(src: socket.socket, dst: socket.socket, cut: Cut | None) -> None:
    try:
        while data := src.recv(65536):
            if cut is not None and cut(len(data)):
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
