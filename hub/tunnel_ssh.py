"""The hub's SSH endpoint for remote support (asyncssh, in its own thread and event loop).

A site logs in as its support session's id with the Ed25519 key it enrolled with, and may then
ask for reverse forwards (`tcpip-forward`) of exactly the loopback ports the hub assigned to
that session; everything else (another port, another address, a shell, a direct-tcpip channel)
is refused and audited. The hub listens on 127.0.0.1 only: what reaches a site goes through the
hub's own proxy, kubeconfig or ssh command, never a port open to the network. A watchdog ends
connections whose session is closed, past its TTL, or whose site disconnected.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import struct
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import asyncssh
from sqlalchemy.orm import Session, sessionmaker

from hub import support
from hub.models import Site
from installer.hostport import host_port

log = logging.getLogger("hub.tunnel")
T = TypeVar("T")
WATCH_S = 1.0
LOOPBACK_NAMES = ("127.0.0.1", "localhost")


def ed25519_wire(raw: bytes) -> bytes:
    """An Ed25519 public key (raw 32 bytes) in SSH wire format."""
    def string(b: bytes) -> bytes:
        return struct.pack(">I", len(b)) + b
    return string(b"ssh-ed25519") + string(raw)


def openssh_public(raw: bytes) -> str:
    return "ssh-ed25519 " + base64.b64encode(ed25519_wire(raw)).decode()


def host_key(path: Path) -> asyncssh.SSHKey:
    """The hub's SSH host key, made at first start and kept (0600), so sites see the same one."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(path))
        path.chmod(0o600)
    return asyncssh.read_private_key(str(path))


class TunnelServer:
    """The SSH endpoint on `host:port`, checking sessions in the hub's database."""

    def __init__(self, sessions: sessionmaker[Session], key_path: Path, host: str, port: int) -> None:
        self.sessions, self.host, self.port = sessions, host, port
        self.key = host_key(key_path)
        self.public_line = self.key.export_public_key("openssh").decode().split()[:2]
        self.loop = asyncio.new_event_loop()
        self.live: dict[asyncssh.SSHServerConnection, _SiteServer] = {}
        self._server: asyncssh.SSHAcceptor | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, name="hub-ssh", daemon=True)

    @property
    def fingerprint(self) -> str:
        return str(self.key.get_fingerprint("sha256"))

    def endpoint(self) -> dict[str, Any]:
        """What a site is told with its session: the port and the host key to pin."""
        return {"port": self.port, "host_key": " ".join(self.public_line), "fingerprint": self.fingerprint}

    def start(self) -> None:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._listen(), self.loop).result(timeout=30)
        self.port = self._server.sockets[0].getsockname()[1]
        asyncio.run_coroutine_threadsafe(self._watch(), self.loop)

    def stop(self) -> None:
        async def _stop() -> None:
            if self._server is not None:
                self._server.close()
            for conn in list(self.live):
                conn.close()
        asyncio.run_coroutine_threadsafe(_stop(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)

    async def _listen(self) -> asyncssh.SSHAcceptor:
        return await asyncssh.create_server(lambda: _SiteServer(self), self.host, self.port,
                                            server_host_keys=[self.key], allow_scp=False, agent_forwarding=False,
                                            x11_forwarding=False, login_timeout=30, keepalive_interval=15)

    async def in_db(self, fn: Callable[[Session], T]) -> T:
        """Run `fn` with a database session off the event loop, committing what it did."""
        def run() -> T:
            with self.sessions() as db:
                result = fn(db)
                db.commit()
                return result
        return await self.loop.run_in_executor(None, run)

    async def _watch(self) -> None:
        """End the connections of sessions that are no longer usable (closed, TTL, disconnected)."""
        while True:
            await asyncio.sleep(WATCH_S)
            try:
                await self.in_db(support.expire_due)
                for conn, site in list(self.live.items()):
                    if site.session_id and not await self.in_db(partial(support.usable, session_id=site.session_id)):
                        await site.audit("disconnect", "the session ended: the hub closed the connection")
                        site.ended_by_hub = True
                        conn.close()
            except Exception:  # the watchdog must outlive a database hiccup
                log.exception("support session watchdog")


class _SiteServer(asyncssh.SSHServer):
    """One site's SSH connection."""

    def __init__(self, hub: TunnelServer) -> None:
        self.hub = hub
        self.conn: asyncssh.SSHServerConnection | None = None
        self.peer = "?"
        self.session_id: str | None = None
        self.site_id: str | None = None
        self.ports: dict[str, int] = {}
        self.listeners: list[_Listener] = []
        self.ended_by_hub = False

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername") or ("?", 0)
        self.peer = host_port(str(peer[0]), peer[1])

    def connection_lost(self, exc: Exception | None) -> None:
        for listener in self.listeners:
            listener.close()
        if self.conn is not None and self.hub.live.pop(self.conn, None) is not None and not self.ended_by_hub:
            asyncio.ensure_future(self.audit("disconnect", f"the site's connection from {self.peer} ended"
                                             + (f" ({exc})" if exc else "")))

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        def check(db: Session) -> tuple[str, dict[str, int]] | None:
            session = support.usable(db, username)
            site = db.get(Site, session.site_id) if session else None
            if session is None or site is None or ed25519_wire(site.public_key) != key.public_data:
                return None
            return site.id, support.ports_of(session)
        found = await self.hub.in_db(check)
        if found is None:
            await self._audit_raw("refused", f"login as {username[:60]!r} from {self.peer} refused: no open support "
                                  "session of that name with this key", None, None)
            return False
        self.session_id, (self.site_id, self.ports) = username, found
        return True

    def auth_completed(self) -> None:
        assert self.conn is not None
        for conn, other in list(self.hub.live.items()):  # a reconnect replaces a connection the hub still holds
            if other.session_id == self.session_id:
                other.ended_by_hub = True
                conn.close()
                for listener in other.listeners:
                    listener.close()
        self.hub.live[self.conn] = self
        asyncio.ensure_future(self.audit("connect", f"the site connected from {self.peer}"))

    def session_requested(self) -> bool:
        asyncio.ensure_future(self.audit("refused", "a shell or command was asked for and refused"))
        return False

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int) -> bool:
        asyncio.ensure_future(self.audit("refused", f"a connection to {dest_host}:{dest_port} was asked for and "
                                         "refused (the hub opens no connection on a site's behalf)"))
        return False

    def server_requested(self, listen_host: str, listen_port: int) -> Any:
        names = [k for k, v in self.ports.items() if v == listen_port]
        if listen_host not in LOOPBACK_NAMES or not names:
            asyncio.ensure_future(self.audit("refused", f"forward of {listen_host}:{listen_port} refused: not a port "
                                             "assigned to this session on the loopback"))
            return False
        return self._forward(names[0], listen_port)

    async def _forward(self, name: str, port: int) -> _Listener | None:
        listener = _Listener(self, name, port)
        try:
            await listener.start()
        except OSError as e:
            await self.audit("refused", f"forward of {name} on {support.LOOPBACK}:{port} failed: {e}")
            return None
        self.listeners.append(listener)
        await self.audit("forward", f"{name} forwarded to {support.LOOPBACK}:{port}")
        return listener

    async def audit(self, action: str, detail: str, bytes_in: int | None = None, bytes_out: int | None = None) -> None:
        await self._audit_raw(action, detail, bytes_in, bytes_out)

    async def _audit_raw(self, action: str, detail: str, bytes_in: int | None, bytes_out: int | None) -> None:
        actor = self.site_id or f"ssh {self.peer}"
        await self.hub.in_db(lambda db: support.audit(db, actor, action, detail, self.site_id, self.session_id,
                                                       bytes_in=bytes_in, bytes_out=bytes_out))


class _Listener(asyncssh.SSHListener):
    """The hub-side loopback port of one forward: each connection to it becomes a forwarded-tcpip
    channel to the site, its bytes counted and audited when it ends."""

    def __init__(self, site: _SiteServer, name: str, port: int) -> None:
        super().__init__()
        self.site, self.name, self.port = site, name, port
        self.server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._accept, support.LOOPBACK, self.port)

    def get_port(self) -> int:
        return self.port

    def close(self) -> None:
        if self.server is not None:
            self.server.close()

    async def wait_closed(self) -> None:
        if self.server is not None:
            await self.server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("?", 0)
        assert self.site.conn is not None
        try:
            chan_reader, chan_writer = await self.site.conn.open_connection(support.LOOPBACK, self.port,
                                                                            str(peer[0]), int(peer[1]))
        except (asyncssh.Error, OSError) as e:
            writer.close()
            await self.site.audit("connection", f"{self.name}: the site refused a connection ({e})")
            return
        sent, received = await asyncio.gather(_pipe(reader, chan_writer), _pipe(chan_reader, writer))
        await self.site.audit("connection", f"{self.name}: a connection through {support.LOOPBACK}:{self.port} "
                              "ended", bytes_in=received, bytes_out=sent)


async def _pipe(reader: Any, writer: Any) -> int:
    """Copy until end of stream; the bytes copied."""
    total = 0
    try:
        while data := await reader.read(65536):
            writer.write(data)
            total += len(data)
            await writer.drain()
    except (OSError, asyncssh.Error, ConnectionError):
        pass
    finally:
        try:
            writer.write_eof()
        except (OSError, asyncssh.Error, RuntimeError):
            writer.close()
    return total
