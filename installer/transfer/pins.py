"""HTTPS to other nodes, each checked against the certificate fingerprint pinned for it.

Every node's certificate is self-signed, so no CA vouches for it: the installer hands out each
node's fingerprint (the agent sent it over the agent channel, itself pinned), and a connection
whose certificate has another fingerprint fails before a byte of the request leaves. A URL with
no pin is refused, never fetched in the clear or checked against the system's CAs.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter


class _Pinned(HTTPAdapter):
    """Connections to one base URL whose certificate must have `fingerprint` (SHA-256)."""

    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint.replace(":", "").lower()
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, assert_fingerprint=self.fingerprint, **kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        # The fingerprint is the check: no CA has signed a node's certificate.
        kwargs["verify"] = False
        return super().send(request, **kwargs)


class _Unpinned(HTTPAdapter):
    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
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

    def pin(self, base_url: str, fingerprint: str) -> None:
        """Requests under `base_url` must meet a certificate with `fingerprint` from now on."""
        prefix = base_url.rstrip("/") + "/"
        if not base_url.startswith("https://") or not fingerprint:
            raise requests.exceptions.InvalidURL(f"cannot pin {base_url!r}: HTTPS and a fingerprint are required")
        if self._pins.get(prefix) != fingerprint:
            self._pins[prefix] = fingerprint
            if prefix in self.adapters:
                self.adapters[prefix].close()
            self.mount(prefix, _Pinned(fingerprint))


def pinned_session(base_url: str, fingerprint: str) -> PinnedSession:
    """A session that talks to `base_url` only, pinned to `fingerprint`."""
    session = PinnedSession()
    session.pin(base_url, fingerprint)
    return session
