"""Every secret this node's install holds, by kind, so the report can remove each one by value.

Read from the files that keep them (installer/statedir.py names them; k3s's in its own folders)
and from the environment a report may run in (SSH secrets given through variables). A file that
is missing or unreadable holds nothing to remove. The values never leave this module but as
input to the Redactor.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import yaml

from installer import answers as answers_mod
from installer.errors import AirliftError
from installer.host import Host
from installer.readfile import read_text
from installer.registry.credentials import load_credentials
from installer.runtime.k3s_files import K3sPaths, configured_token, join_token
from installer.ssh.secrets import ENV_PREFIX
from installer.statedir import StateDir


def known_secrets(host: Host, state_dir: Path) -> list[tuple[str, str]]:
    """[(kind, value)] of every secret found on this node."""
    paths = StateDir(state_dir)
    found = [("admin token", _secret(paths.admin_token)), ("join token", _secret(paths.join_token))]
    credentials = load_credentials(paths.registry_credentials)
    if credentials is not None:
        found.append(("registry password", credentials.password))
    found += _k3s(K3sPaths.of(host))
    for key in (paths.tls_key, paths.tls_ca_key, paths.peer_key):
        found.append(("private key", _secret(key)))
    found += _ssh(paths)
    return [(kind, value) for kind, value in found if value]


def _k3s(k3s: K3sPaths) -> list[tuple[str, str]]:
    """The cluster token (config.yaml's, the server's full one, and its password part), the
    registry password k3s holds, and the credential in the kubeconfig."""
    found: list[tuple[str, str]] = []
    for token in (_safe(configured_token, k3s), _safe(join_token, k3s)):
        if token:
            found += [("k3s token", token), ("k3s token", token.rpartition(":")[2])]
    registries = _yaml(k3s.registries)
    for config in (registries.get("configs") or {}).values() if isinstance(registries, dict) else []:
        auth = (config or {}).get("auth") or {}
        found += [("registry password", str(auth.get(key) or "")) for key in ("password", "auth", "token")]
    kubeconfig = _yaml(k3s.kubeconfig)
    for user in (kubeconfig.get("users") or []) if isinstance(kubeconfig, dict) else []:
        user = (user or {}).get("user") or {}
        found += [("kubeconfig credential", str(user.get(key) or ""))
                  for key in ("token", "password", "client-key-data")]
    return found


def _ssh(paths: StateDir) -> list[tuple[str, str]]:
    """SSH passwords and passphrases given through the environment, and the key files the answers
    name (the answers themselves never hold a password: `password: ask`)."""
    found = [("SSH secret", value) for name, value in os.environ.items()
             if name.startswith(tuple(ENV_PREFIX.values()))]
    if paths.answers.is_file():
        try:
            nodes = answers_mod.load_file(paths.answers).get("nodes") or []
        except AirliftError:  # a damaged answers file is reported as it is, not read for keys
            nodes = []
        found += [("SSH private key", _secret(Path(n["key"]))) for n in nodes if isinstance(n, dict) and n.get("key")]
    return found


def _yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None


def _safe(read: Callable[[K3sPaths], str | None], k3s: K3sPaths) -> str | None:
    try:
        return read(k3s)
    except (OSError, yaml.YAMLError, AttributeError):
        return None


def _secret(path: Path) -> str:
    """What `path` holds, without the line break around it; "" when it cannot be read."""
    return (read_text(path) or "").strip()
