"""SSH passwords and key passphrases: held in memory for the sessions that need them, never written.

Why only in memory: answers.yaml is meant to be kept and replayed, and the event and installer
logs are read by whoever looks at the host later. A node in the answers says only that it needs
a secret (`password: ask`, or a `key` whose file is encrypted); the secret itself comes from the
wizard's form, the terminal (nothing echoed) or, without a terminal, from an environment variable named
after the node (read once and removed from the environment, so no child process inherits it and
no command line shows it). Every secret is registered with the event bus, which masks it.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from installer.events import EventBus
from installer.ssh.session import SshTarget, key_is_encrypted

ASK = "ask"  # the only value `password:` takes in the answers
ENV_PREFIX = {"password": "AIRLIFT_SSH_PASSWORD_", "passphrase": "AIRLIFT_SSH_PASSPHRASE_"}


def needed(spec: dict) -> str | None:
    """The secret the node `spec` (an answers `nodes` entry) needs: "password" (`password: ask`),
    "passphrase" (its key file is encrypted) or None (an unencrypted key)."""
    if spec.get("password") == ASK:
        return "password"
    if spec.get("key") and key_is_encrypted(Path(spec["key"])):
        return "passphrase"
    return None


def env_name(kind: str, address: str) -> str:
    """The environment variable that may hold a node's secret: AIRLIFT_SSH_PASSWORD_10_0_0_2 for
    the password of 10.0.0.2 (every character but letters and digits becomes "_")."""
    return ENV_PREFIX[kind] + re.sub(r"[^A-Za-z0-9]", "_", address).upper()


def take_from_env(kind: str, address: str) -> str | None:
    """The secret from the node's environment variable, removed from the environment."""
    return os.environ.pop(env_name(kind, address), None) or None


def label(spec: dict) -> str:
    """user@address:port, as errors and prompts name an SSH node."""
    return SshTarget(spec["address"], spec.get("user", "root"), int(spec.get("port", 22))).label


class SshSecrets:
    """Each node's secret by address, for this process only; the bus masks every one."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._by_address: dict[str, str] = {}
        self._lock = threading.Lock()

    def put(self, address: str, secret: str | None) -> None:
        """Keep `secret` for the node at `address` (None: it needs none, forget an older one)."""
        if secret:
            self._bus.add_secret(secret)
        with self._lock:
            if secret:
                self._by_address[address] = secret
            else:
                self._by_address.pop(address, None)

    def get(self, address: str) -> str | None:
        with self._lock:
            return self._by_address.get(address)
