"""HTTPS to other nodes, each checked against the certificate fingerprint pinned for it.

Every node's certificate is self-signed, so no CA vouches for it: the installer hands out each
node's fingerprint (the agent sent it over the agent channel, itself pinned), and a connection
whose certificate has another fingerprint fails before a byte of the request leaves. A URL with
no pin is refused, never fetched in the clear or checked against the system's CAs.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter


def _pinning(context: ssl.SSLContext) -> ssl.SSLContext:
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the pinned fingerprint is the check
    return context


_CLIENT = _pinning(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))


class _RememberingSocket(ssl.SSLSocket):
    """A TLS connection that hands its session to its ResumingContext as it closes: by then the
    server's session ticket (sent after a TLS 1.3 handshake) has been read with its answer."""

    def close(self) -> None:
        if isinstance(self.context, ResumingContext) and not self._closed:  # type: ignore[attr-defined]
            self.context.remember(self.session)
        super().close()


class ResumingContext(ssl.SSLContext):
    """A client context for one peer that offers each new connection the TLS session its last
    connection was given, so the peer resumes it instead of a full handshake (no certificate
    signature, half the server's CPU of a TLS 1.3 handshake); the key exchange is made anew all the
    same (forward secrecy holds). A peer that does not know the session (restarted, another process
    behind the address, the ticket expired) makes a full handshake, and the pin is checked on every
    connection as before: a resumed session carries the certificate it was made with.
    The hub's sites keep one per hub for the life of the process (installer/hub_link/transport.py)."""

    sslsocket_class = _RememberingSocket

    def __new__(cls) -> ResumingContext:
        return super().__new__(cls, ssl.PROTOCOL_TLS_CLIENT)

    def __init__(self) -> None:
        super().__init__()
        _pinning(self)
        self.last: ssl.SSLSession | None = None

    def remember(self, session: ssl.SSLSession | None) -> None:
        if session is not None and (session.has_ticket or session.id):
            self.last = session

    def wrap_socket(self, sock: socket.socket, server_side: bool = False, do_handshake_on_connect: bool = True,
                    suppress_ragged_eofs: bool = True, server_hostname: str | bytes | None = None,
                    session: ssl.SSLSession | None = None) -> ssl.SSLSocket:
        return super().wrap_socket(sock, server_side, do_handshake_on_connect, suppress_ragged_eofs, server_hostname,
                                   session or self.last)


class PinMismatch(OSError):
    """The peer showed another certificate than the one pinned for it."""


def connect_pinned(base_url: str, fingerprint: str, connect_timeout: float, read_timeout: float,
                   context: ssl.SSLContext = _CLIENT) -> http.client.HTTPSConnection:
    """An open HTTPS connection to `base_url`, whose certificate was checked against `fingerprint`
    before anything is sent; PinMismatch otherwise. (The blob fetch reads straight into its own
    buffer through it, which requests cannot.) `context`: a ResumingContext resumes its last session."""
    parts = urlsplit(base_url)
    if parts.scheme != "https" or not parts.hostname or not fingerprint:
        raise PinMismatch(f"cannot pin {base_url!r}: HTTPS and a fingerprint are required")
    conn = http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=connect_timeout, context=context)
    try:
        conn.connect()
        assert conn.sock is not None
        seen = hashlib.sha256(conn.sock.getpeercert(binary_form=True) or b"").hexdigest()
        expected = fingerprint.replace(":", "").lower()
        if not hmac.compare_digest(seen, expected):
            raise PinMismatch(f"shows certificate {seen[:16]}…, not the pinned {expected[:16]}…")
        conn.sock.settimeout(read_timeout)
    except BaseException:
        conn.close()
        raise
    return conn


SEND_BLOCK = 1 << 20


class BigSends(HTTPAdapter):
    """Sends a file-like request body in 1 MB writes, not urllib3's 16 KB: a 500 MB upload
    (a bundle's layer to the hub) was 32,000 TLS writes from Python, a quarter of its time."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, blocksize=SEND_BLOCK, **kwargs)


class _Pinned(BigSends):
    """Connections to one base URL whose certificate must have `fingerprint` (SHA-256)."""

    def __init__(self, fingerprint: str, context: ssl.SSLContext) -> None:
        self.fingerprint, self.context = fingerprint.replace(":", "").lower(), context
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        # One context for every connection: without it urllib3 makes a context per connection
        # and loads the system's CA store into it (tens of ms), although the pin is the only
        # check; a peer that closes each connection (the hub) would pay that on every request.
        super().init_poolmanager(*args, assert_fingerprint=self.fingerprint, ssl_context=self.context, **kwargs)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        """Through an HTTPS proxy (CONNECT) the pin holds all the same: a session that honours
        the environment's proxies (the hub link, installer/hub_link/transport.py) reaches its peer so."""
        return super().proxy_manager_for(proxy, assert_fingerprint=self.fingerprint, ssl_context=self.context, **kwargs)

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: bool | str = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        # The fingerprint is the check: no CA has signed a node's certificate.
        return super().send(request, stream=stream, timeout=timeout, verify=False, cert=cert, proxies=proxies)


class _Unpinned(HTTPAdapter):
    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: bool | str = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        raise requests.exceptions.InvalidURL(f"no pinned certificate for {request.url}: refusing to connect")


class PinnedSession(requests.Session):
    """A session for node-to-node traffic: HTTPS only, to base URLs pinned with `pin()`; no proxy
    or CA bundle from the environment (LAN peers are reached directly)."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False
        self.mount("https://", _Unpinned())
        self.mount("http://", _Unpinned())
        self._pins: dict[str, str] = {}

    def pin(self, base_url: str, fingerprint: str, context: ssl.SSLContext = _CLIENT) -> None:
        """Requests under `base_url` must meet a certificate with `fingerprint` from now on (their
        TLS made with `context`: a ResumingContext resumes its last session)."""
        prefix = base_url.rstrip("/") + "/"
        if not base_url.startswith("https://") or not fingerprint:
            raise requests.exceptions.InvalidURL(f"cannot pin {base_url!r}: HTTPS and a fingerprint are required")
        if self._pins.get(prefix) != fingerprint:
            self._pins[prefix] = fingerprint
            if prefix in self.adapters:
                self.adapters[prefix].close()
            self.mount(prefix, _Pinned(fingerprint, context))


def pinned_session(base_url: str, fingerprint: str) -> PinnedSession:
    """A session that talks to `base_url` only, pinned to `fingerprint`."""
    session = PinnedSession()
    session.pin(base_url, fingerprint)
    return session


class PinnedConnections:
    """Open connections to peers, one per (URL, fingerprint), kept between blobs. A new connection
    to a node whose link is busy relaying waits a round trip behind that traffic for each of the
    TCP and TLS handshakes; a kept one sends the next request at once."""

    def __init__(self, connect_timeout: float = 5, read_timeout: float = 60) -> None:
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self._idle: dict[tuple[str, str], http.client.HTTPSConnection] = {}

    def take(self, base_url: str, fingerprint: str) -> tuple[http.client.HTTPSConnection, bool]:
        """A connection to `base_url` and whether it was kept from before (it may have been closed
        by the peer meanwhile)."""
        kept = self._idle.pop((base_url, fingerprint), None)
        if kept is not None:
            return kept, True
        return connect_pinned(base_url, fingerprint, self.connect_timeout, self.read_timeout), False

    def give_back(self, base_url: str, fingerprint: str, conn: http.client.HTTPSConnection) -> None:
        """Keep `conn`, whose last response was read to the end, for the next blob."""
        old = self._idle.pop((base_url, fingerprint), None)
        if old is not None:
            old.close()
        self._idle[(base_url, fingerprint)] = conn

    def close(self) -> None:
        for conn in self._idle.values():
            conn.close()
        self._idle.clear()
