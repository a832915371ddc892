"""One support connection: ask the hub (signed, over the pinned HTTPS link) for a session, dial
its SSH endpoint (through HTTPS_PROXY, as the link's HTTPS goes) with the site's enrolled key, the hub's host key pinned to the one the session
answer named, and ask for reverse forwards of exactly the allowed services. Each connection the
hub sends through is piped to its local target and logged with its bytes."""

from __future__ import annotations

import io
import select
import socket
import threading
from typing import Any
from urllib.parse import urlsplit

import paramiko
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from installer.errors import AirliftError
from installer.hub_link import document
from installer.hub_link.envelope import seal
from installer.hub_link.link import Link, load_key, next_seq
from installer.hub_link.transport import HubClient, dial
from installer.statedir import StateDir
from installer.support.grant import Grant, event

TIMEOUT_S = 15


class TunnelRefused(AirliftError):
    """The hub's SSH endpoint refused the session (closed, expired) or a forward."""


def request_session(paths: StateDir, link: Link, grant: Grant) -> dict[str, Any]:
    """A new session on the hub for `grant`: {session, forwards, expires_at, ssh {port, host_key}}.
    The cluster's CA goes with it, so the vendor's kubeconfig checks the API's certificate."""
    private, _ = load_key(paths)
    body = {**document.header("support-open", link.site_id, next_seq(paths), 0), "allow": grant.allow,
            "ttl_s": max(60, grant.ttl_left_s()), "kube_ca": grant.kube_ca,
            "host_keys": grant.host_keys}
    return HubClient(link.url, link.fingerprint).post(f"/sites/{link.site_id}/support", seal(body, private))


def close_session(paths: StateDir, link: Link) -> None:
    private, _ = load_key(paths)
    body = document.header("support-close", link.site_id, next_seq(paths), 0)
    HubClient(link.url, link.fingerprint).post(f"/sites/{link.site_id}/support/close", seal(body, private))


class Tunnel:
    """An SSH connection to the hub carrying the session's reverse forwards."""

    def __init__(self, paths: StateDir, link: Link, grant: Grant) -> None:
        self.paths, self.link, self.grant = paths, link, grant
        self.transport: paramiko.Transport | None = None

    def open(self) -> None:
        session = self.grant.session
        host = urlsplit(self.link.url).hostname or ""
        sock = dial(host, int(session["ssh"]["port"]), TIMEOUT_S)
        transport = paramiko.Transport(sock)
        self.transport = transport
        try:
            transport.start_client(timeout=TIMEOUT_S)
            key = transport.get_remote_server_key()
            if f"{key.get_name()} {key.get_base64()}" != session["ssh"]["host_key"]:
                raise TunnelRefused(f"The hub's SSH endpoint at {host} shows another host key than the session "
                                    "answer named", hint="check that nothing else answers on the hub's SSH port")
            try:
                transport.auth_publickey(str(session["session"]), _pkey(self.paths))
            except paramiko.AuthenticationException:
                raise TunnelRefused(f"The hub refused support session {session['session']} (closed or expired "
                                    "there)") from None
            routes = {int(port): name for name, port in session["forwards"].items() if name in self.grant.allow}
            for port, name in routes.items():  # paramiko keeps one handler: it tells forwards by port
                transport.request_port_forward("127.0.0.1", port, handler=self._handler(routes))
                event(self.paths, f"support: {name} forwarded to the hub's loopback port {port}", "forward",
                      service=name)
            transport.set_keepalive(15)
        except (paramiko.SSHException, OSError):
            self.close()
            raise

    def alive(self) -> bool:
        return self.transport is not None and self.transport.is_active()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _handler(self, routes: dict[int, str]) -> Any:
        def handle(channel: paramiko.Channel, _origin: tuple[str, int], server: tuple[str, int]) -> None:
            name = routes.get(int(server[1]))
            if name is None:  # a channel for a port this site never forwarded
                channel.close()
                return
            threading.Thread(target=self._pipe, args=(channel, name, self.grant.targets[name]), daemon=True,
                             name=f"airlift-support-{name}").start()
        return handle

    def _pipe(self, channel: paramiko.Channel, name: str, target: str) -> None:
        host, _, port = target.rpartition(":")
        host = host.strip("[]")
        try:
            sock = socket.create_connection((host, int(port)), timeout=TIMEOUT_S)
        except OSError as e:
            channel.close()
            event(self.paths, f"support: a connection to {name} ({target}) failed: {e}", "connection", service=name)
            return
        sent = received = 0
        with sock:
            sock.settimeout(None)
            while True:
                ready, _, _ = select.select([sock, channel], [], [], 30)
                if channel in ready:
                    data = channel.recv(65536)
                    if not data:
                        break
                    sock.sendall(data)
                    received += len(data)
                if sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        break
                    channel.sendall(data)
                    sent += len(data)
                if channel.closed:
                    break
        channel.close()
        event(self.paths, f"support: a connection to {name} through the hub ended ({received} bytes in, {sent} out)",
              "connection", service=name, bytes_in=received, bytes_out=sent)


def _pkey(paths: StateDir) -> paramiko.PKey:
    """The site's enrolled Ed25519 key, as paramiko takes it."""
    private, _ = load_key(paths)
    text = private.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption()).decode()
    return paramiko.Ed25519Key.from_private_key(io.StringIO(text))
