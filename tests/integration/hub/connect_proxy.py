"""A small HTTP CONNECT proxy on loopback, as a site behind a corporate proxy meets one: it
tunnels each CONNECT to its target and counts the targets, so a test can see the traffic went
through it (TLS stays end to end: the pinned fingerprint is the hub's)."""

from __future__ import annotations

import socket

from tests.integration.hub.relay import LoopbackRelay, relay


class ConnectProxy(LoopbackRelay):
    def __init__(self) -> None:
        self.tunnels: list[str] = []
        super().__init__()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _handle(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                client.close()
                return
            head += chunk
        method, target = head.split(b" ")[:2]
        if method != b"CONNECT":
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            client.close()
            return
        host, _, port = target.decode().rpartition(":")
        self.tunnels.append(target.decode())
        upstream = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        relay(client, upstream)
