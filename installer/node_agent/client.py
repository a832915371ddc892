"""The agent's line to the installer: JSON over HTTPS, the installer's certificate pinned.

The installer's certificate is self-signed, so it is checked by its SHA-256 fingerprint: the one
the join command carries (`--fingerprint`), or, when none is given, the one seen on first contact,
recorded in the agent's state directory and required from then on (trust on first use).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import ssl
from pathlib import Path

from installer.errors import AirliftError
from installer.statedir import StateDir

log = logging.getLogger("installer.node_agent")



class ConnectionLost(Exception):
    """The installer could not be reached or the connection dropped; the agent tries again."""


def normalize(fingerprint: str) -> str:
    """`AB:CD:…`, `abcd…` and `SHA256:AB:CD…` all become `ABCD…`."""
    return fingerprint.upper().removeprefix("SHA256:").replace(":", "").strip()


def pretty(fingerprint: str) -> str:
    raw = normalize(fingerprint)
    return ":".join(raw[i:i + 2] for i in range(0, len(raw), 2))


class AgentClient:
    """Calls `POST /v1/agent/<action>` on the installer at host:port with the join token."""

    def __init__(self, host: str, port: int, token: str, fingerprint: str | None, state_dir: Path) -> None:
        self.host, self.port, self.token = host, port, token
        self._pin_file = StateDir(state_dir).installer_fingerprint
        if fingerprint:
            self._pin: str | None = normalize(fingerprint)
        elif self._pin_file.is_file():
            self._pin = self._pin_file.read_text().strip()
        else:
            self._pin = None
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self._context.check_hostname = False
        self._context.verify_mode = ssl.CERT_NONE  # the pinned fingerprint is the check

    @property
    def fingerprint(self) -> str:
        """The installer's certificate fingerprint as pinned (known once it answered)."""
        return pretty(self._pin or "")

    def call(self, action: str, body: dict, timeout: float = 30.0) -> dict:
        """The installer's JSON answer; ConnectionLost when it cannot be reached, AirliftError
        when it refuses (wrong token, refused join)."""
        conn = http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self._context)
        try:
            conn.connect()
            self._check_certificate(conn)
            data = json.dumps(body).encode()
            conn.request("POST", f"/v1/agent/{action}", body=data, headers={
                "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
            resp = conn.getresponse()
            payload: dict = json.loads(resp.read() or b"{}")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise ConnectionLost(f"{self.host}:{self.port}: {exc}") from exc
        finally:
            conn.close()
        if resp.status == 401:
            raise AirliftError(f"The installer at {self.host}:{self.port} refused the join token",
                               hint="use the exact join command the installer printed (./install join ADDR "
                                    "--token T ...)")
        if resp.status != 200:
            raise AirliftError(payload.get("error") or f"The installer answered {resp.status} to {action}",
                               hint=payload.get("hint"))
        return payload

    def _check_certificate(self, conn: http.client.HTTPSConnection) -> None:
        der = conn.sock.getpeercert(binary_form=True) if conn.sock else None
        seen = hashlib.sha256(der or b"").hexdigest().upper()
        if self._pin is None:
            self._pin = seen
            self._pin_file.parent.mkdir(parents=True, exist_ok=True)
            self._pin_file.write_text(seen + "\n")
            log.warning("trusting the installer's certificate %s on first use", pretty(seen))
        if seen != self._pin:
            raise AirliftError(
                f"The installer at {self.host}:{self.port} shows certificate {pretty(seen)}, "
                f"not the expected {pretty(self._pin)}",
                hint="make sure ADDR is the installer's address; copy the join command it printed again")
