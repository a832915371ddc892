"""HTTPS to the hub, dial-out only: the hub's certificate pinned by its SHA-256 fingerprint
(installer/transfer/pins.py), through the proxy HTTPS_PROXY names (and NO_PROXY spares), as a
site behind a corporate proxy must.

Each request is a new connection (a site's check-ins are minutes apart, far past the hub's
keep-alive), but not a new TLS session: a process keeps one TLS context per hub, which offers the
hub the session of its last connection (ResumingContext), so the cluster service's check-ins
resume their session and the hub spends half the CPU on each handshake."""

from __future__ import annotations

import hashlib
import http.client
import re
import socket
import ssl
from typing import Any
from urllib.parse import SplitResult, urlsplit

import requests

from installer.errors import AirliftError
from installer.transfer.pins import PinnedSession, ResumingContext

API = "/api/v1"
TIMEOUT = (10, 60)
FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")
MAX_PROXY_ANSWER = 16384
_CONTEXTS: dict[tuple[str, str], ResumingContext] = {}  # (hub URL, fingerprint): this process's TLS context for it


class HubUnreachable(AirliftError):
    """No answer from the hub (down, no route, proxy refused, certificate not the pinned one)."""


class HubRefused(AirliftError):
    """The hub answered with an error; `status` and its JSON `answer` say which."""

    def __init__(self, status: int, message: str, answer: dict[str, Any]) -> None:
        super().__init__(message)
        self.status, self.answer = status, answer


def normalise_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise AirliftError(f"{url!r} is not an HTTPS address of a hub", hint="give it as https://HOST[:PORT]")
    return f"https://{parts.netloc}{parts.path.rstrip('/')}"


def normalise_fingerprint(text: str) -> str:
    """`SHA256:<hex>`, `<hex>` or colon-separated hex -> lower-case hex."""
    hexed = text.strip().lower().removeprefix("sha256:").replace(":", "")
    if not FINGERPRINT.match(hexed):
        raise AirliftError(f"--fingerprint {text!r} is not a SHA-256 certificate fingerprint",
                           hint="copy it from the hub's start-up lines, e.g. --fingerprint SHA256:3f9a…")
    return hexed


def shown(fingerprint: str) -> str:
    return f"SHA256:{fingerprint}"


def environ_proxy(url: str) -> SplitResult | None:
    """The proxy HTTPS_PROXY names for `url`, None without one or when NO_PROXY spares it."""
    proxy = requests.utils.get_environ_proxies(url).get("https")
    return urlsplit(proxy if "://" in proxy else f"http://{proxy}") if proxy else None


def dial(host: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to host:port, through the environment's HTTPS proxy (HTTP CONNECT) when it
    names one for that host: the site's SSH connection to the hub leaves as its HTTPS does. The
    proxy's answer is read byte by byte: an SSH server speaks first, and its first bytes must not
    be swallowed with the answer."""
    through = environ_proxy(f"https://{host}:{port}")
    if through is None:
        return socket.create_connection((host, port), timeout=timeout)
    proxy = f"{through.hostname}:{through.port or 8080}"
    sock = socket.create_connection((through.hostname or "", through.port or 8080), timeout=timeout)
    try:
        sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        answer = b""
        while not answer.endswith(b"\r\n\r\n") and len(answer) < MAX_PROXY_ANSWER:
            byte = sock.recv(1)
            if not byte:
                break
            answer += byte
        status = answer.split(b"\r\n", 1)[0].decode("latin-1")
        if not re.match(r"^HTTP/1\.[01] 200 ", status):
            raise OSError(f"the proxy {proxy} did not open a tunnel to {host}:{port} ({status or 'no answer'})")
    except OSError:
        sock.close()
        raise
    return sock


def server_fingerprint(url: str, timeout: float = 10) -> str:
    """The fingerprint of the certificate the hub at `url` shows now (through the proxy, if any),
    for a first connection that pins what it sees, as SSH does with a host key."""
    parts = urlsplit(url)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the fingerprint is the check
    through = environ_proxy(url)
    try:
        if through:
            conn = http.client.HTTPSConnection(through.hostname or "", through.port or 8080, timeout=timeout,
                                               context=context)
            conn.set_tunnel(parts.hostname or "", parts.port or 443)
        else:
            conn = http.client.HTTPSConnection(parts.hostname or "", parts.port or 443, timeout=timeout,
                                               context=context)
        try:
            conn.connect()
            assert conn.sock is not None
            der = conn.sock.getpeercert(binary_form=True) or b""
        finally:
            conn.close()
    except (OSError, http.client.HTTPException) as e:
        raise HubUnreachable(f"Cannot reach the hub at {url} ({e})",
                             hint="check the address, that the hub runs, and HTTPS_PROXY if a proxy is in the way") from None
    return hashlib.sha256(der).hexdigest()


class HubClient:
    """Requests to one hub, its certificate pinned; closed (its connections, and with them the TLS
    session they end with, handed to the next client of this hub) by close() or a `with` block."""

    def __init__(self, url: str, fingerprint: str) -> None:
        self.url = normalise_url(url)
        self.session = PinnedSession()
        self.session.trust_env = True  # HTTPS_PROXY and NO_PROXY, unlike node-to-node traffic
        self.session.pin(self.url, fingerprint, _CONTEXTS.setdefault((self.url, fingerprint), ResumingContext()))

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def post(self, path: str, body: bytes, token: str | None = None) -> dict[str, Any]:
        """POST `body` (an envelope) to API path `path`; the hub's JSON answer, HubRefused or HubUnreachable.
        The connection is closed with the answer: a site's next document is minutes away, so the hub
        need not keep it open and wait for the site to close it (the next one resumes the TLS session)."""
        headers = {"Content-Type": "application/json", "Connection": "close"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self._send("POST", self.url + API + path, data=body, headers=headers, timeout=TIMEOUT)
        answer = _json(response)
        if response.status_code >= 400:
            raise HubRefused(response.status_code, str(answer.get("error") or f"HTTP {response.status_code}"), answer)
        return answer

    def stream(self, path: str, headers: dict[str, str]) -> requests.Response:
        """GET API path `path` as a stream of bytes; the
        response once its status is below 400 (the caller closes it), else HubRefused."""
        response = self._send("GET", self.url + API + path, headers=headers, timeout=TIMEOUT, stream=True)
        if response.status_code >= 400:
            with response:
                answer = _json(response)
            raise HubRefused(response.status_code, str(answer.get("error") or f"HTTP {response.status_code}"), answer)
        return response

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self.session.request(method, url, **kwargs)
        except requests.exceptions.SSLError as e:
            raise HubUnreachable(f"The hub at {self.url} did not show the pinned certificate ({_reason(e)})",
                                 hint="if the hub's certificate was replaced on purpose, ./install hub disconnect "
                                      "and connect again with its new --fingerprint") from None
        except requests.RequestException as e:
            raise HubUnreachable(f"Cannot reach the hub at {self.url} ({_reason(e)})",
                                 hint="check that the hub runs and is reachable from this host (HTTPS_PROXY if a "
                                      "proxy is in the way)") from None


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _reason(e: Exception) -> str:
    text = str(e)
    return text if len(text) < 300 else text[:300] + "…"
