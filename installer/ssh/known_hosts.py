"""Host keys, trust on first use: the first key a host shows is recorded; a different one later
is refused.

Why our own file in the state directory: the installer must not depend on (or write to) the
operator's ~/.ssh, and the recorded fingerprints are part of the install's record. The file is
in OpenSSH's known_hosts format, so `ssh-keygen -F` and `ssh -o UserKnownHostsFile=` read it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from pathlib import Path

import paramiko

from installer.errors import AirliftError


def fingerprint(key: paramiko.PKey) -> str:
    """The key's fingerprint as OpenSSH prints it: "SHA256:" + unpadded base64 of sha256."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")


def host_entry(address: str, port: int) -> str:
    """The known_hosts name OpenSSH uses: "addr" on port 22, "[addr]:port" otherwise."""
    return address if port == 22 else f"[{address}]:{port}"


class HostKeyChanged(AirliftError):
    """The host shows a different key than the one recorded: possibly someone in between."""


class KnownHosts:
    """The known_hosts file at `path`; `check` records on first use and refuses a changed key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def check(self, address: str, port: int, key: paramiko.PKey) -> bool:
        """Accept `key` for address:port: True when it was recorded just now (first use),
        False when it matches the record. Raises HostKeyChanged otherwise."""
        name = host_entry(address, port)
        with self._lock:
            keys = self._load()
            known = keys.lookup(name) or {}
            if not known:
                keys.add(name, key.get_name(), key)
                self._save(keys)
                return True
            if known.get(key.get_name()) == key:
                return False
        raise self._changed(name, key, known)

    def shown(self, address: str, port: int, key: paramiko.PKey) -> bool:
        """What a front-end asks before trusting: True when the key is new (the operator must
        confirm its fingerprint), False when it matches the record; a changed key raises
        HostKeyChanged. Records nothing."""
        name = host_entry(address, port)
        with self._lock:
            known = self._load().lookup(name) or {}
        if known and known.get(key.get_name()) != key:
            raise self._changed(name, key, known)
        return not known

    def _changed(self, name: str, key: paramiko.PKey, known: dict) -> HostKeyChanged:
        recorded = ", ".join(f"{t} {fingerprint(k)}" for t, k in known.items())
        return HostKeyChanged(
            f"The SSH host key of {name} has CHANGED: it now shows {key.get_name()} {fingerprint(key)}, "
            f"but {recorded} was recorded. Refusing to connect.",
            details=f"Recorded in {self.path}.",
            hint=f"If the host was reinstalled on purpose, confirm the new fingerprint on its console "
                 f"(ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then remove the old entry with "
                 f"ssh-keygen -R '{name}' -f {self.path} and try again.")

    def fingerprints(self, address: str, port: int) -> list[str]:
        """Recorded fingerprints for address:port (empty when never seen)."""
        with self._lock:
            known = self._load().lookup(host_entry(address, port)) or {}
        return [fingerprint(k) for k in known.values()]

    def _load(self) -> paramiko.HostKeys:
        keys = paramiko.HostKeys()
        if self.path.exists():
            keys.load(str(self.path))
        return keys

    def _save(self, keys: paramiko.HostKeys) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        keys.save(str(tmp))
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)
