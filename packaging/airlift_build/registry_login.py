"""Credentials for private registries, found the way docker and skopeo find them.

In order: the command line (`--registry-login REGISTRY --registry-username USER`, the password
from the environment variable AIRLIFT_REGISTRY_PASSWORD or from standard input with
--registry-password-stdin, never from an argument, which every user of the machine could read
in the process list), then the Docker client's config (`$DOCKER_CONFIG/config.json`, default
`~/.docker/config.json`): a `credHelpers` entry for the registry, its `auths` entry (base64
`auth` of "user:password"), then the `credsStore` helper. Helpers are the
`docker-credential-<name>` programs on PATH, asked with `get` and the server on stdin.
Credentials are given only to the registry they belong to (and the token service it names).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from installer.errors import AirliftError

PASSWORD_ENV = "AIRLIFT_REGISTRY_PASSWORD"
DOCKER_HUB = ("docker.io", "index.docker.io", "registry-1.docker.io")
DOCKER_HUB_KEY = "https://index.docker.io/v1/"
HELPER_TIMEOUT_S = 60


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)


def add_login_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--registry-login", metavar="REGISTRY",
                   help="the registry (host[:port]) the --registry-username belongs to")
    p.add_argument("--registry-username", metavar="USER",
                   help=f"user for --registry-login; the password comes from ${PASSWORD_ENV} "
                        "or standard input (--registry-password-stdin)")
    p.add_argument("--registry-password-stdin", action="store_true",
                   help="read the --registry-username's password from standard input")


def registry_credentials(args: argparse.Namespace) -> CredentialStore:
    """The credentials the command line gives, backed by the Docker client's config."""
    explicit: dict[str, Credentials] = {}
    if args.registry_username or args.registry_login:
        if not (args.registry_username and args.registry_login):
            raise AirliftError("--registry-login and --registry-username go together",
                               hint="give both: --registry-login REGISTRY --registry-username USER")
        password = sys.stdin.readline().rstrip("\r\n") if args.registry_password_stdin \
            else os.environ.get(PASSWORD_ENV)
        if not password:
            raise AirliftError(f"No password for {args.registry_username} at {args.registry_login}",
                               hint=f"put it in the environment variable {PASSWORD_ENV}, or pipe it to "
                                    "build.py with --registry-password-stdin")
        explicit[server_key(args.registry_login)] = Credentials(args.registry_username, password)
    return CredentialStore(explicit, docker_config_path())


def docker_config_path() -> Path:
    folder = os.environ.get("DOCKER_CONFIG")
    return (Path(folder) if folder else Path.home() / ".docker") / "config.json"


def server_key(registry: str) -> str:
    """A registry's name as docker's config keys it: Docker Hub under its v1 URL, others bare."""
    host = registry.split("://", 1)[-1].split("/", 1)[0]
    return DOCKER_HUB_KEY if host in DOCKER_HUB else host


class CredentialStore:
    """Looks credentials up per registry, once each."""

    def __init__(self, explicit: dict[str, Credentials], docker_config: Path) -> None:
        self._explicit = explicit
        self._config_path = docker_config
        self._found: dict[str, Credentials | None] = {}

    def lookup(self, registry: str) -> Credentials | None:
        key = server_key(registry)
        if key not in self._found:
            self._found[key] = self._explicit.get(key) or self._from_docker_config(key)
        return self._found[key]

    def _from_docker_config(self, key: str) -> Credentials | None:
        config = _read_config(self._config_path)
        helper = config.get("credHelpers", {}).get(key)
        if helper:
            return helper_credentials(helper, key)
        entry = _auth_entry(config.get("auths", {}), key)
        if entry is not None and (entry.get("auth") or entry.get("username")):
            return _decode_auth(entry, key, self._config_path)
        store = config.get("credsStore")
        return helper_credentials(store, key) if store else None


def helper_credentials(helper: str, key: str) -> Credentials | None:
    """`docker-credential-<helper> get` for the server; None when it has nothing for it."""
    program = f"docker-credential-{helper}"
    try:
        run = subprocess.run([program, "get"], input=key, capture_output=True, text=True, timeout=HELPER_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise AirliftError(f"The Docker credential helper {program} for {key} cannot be run ({type(e).__name__})",
                           hint=f"install {program} on PATH, or remove it from the Docker config") from None
    if run.returncode != 0:
        if "credentials not found" in (run.stdout + run.stderr).lower():
            return None
        raise AirliftError(f"The Docker credential helper {program} failed for {key}: "
                           f"{(run.stderr or run.stdout).strip()[:200]}",
                           hint=f"log in again (docker login {key}) or check the helper")
    try:
        answer = json.loads(run.stdout)
        return Credentials(str(answer["Username"]), str(answer["Secret"]))
    except (ValueError, KeyError, TypeError):
        raise AirliftError(f"The Docker credential helper {program} gave no Username and Secret for {key}") from None


def _read_config(path: Path) -> dict:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise AirliftError(f"The Docker config {path} cannot be read ({e})",
                           hint="fix or move the file, or set DOCKER_CONFIG to another folder") from None
    return loaded if isinstance(loaded, dict) else {}


def _auth_entry(auths: dict, key: str) -> dict | None:
    """The `auths` entry for a server, keyed bare or as a URL (docker login writes both forms)."""
    for name, entry in auths.items():
        if server_key(name) == key and isinstance(entry, dict):
            return entry
    return None


def _decode_auth(entry: dict, key: str, path: Path) -> Credentials:
    if entry.get("username"):
        return Credentials(str(entry["username"]), str(entry.get("password", "")))
    try:
        user, _, password = base64.b64decode(entry["auth"], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, TypeError):
        raise AirliftError(f"The Docker config {path} has an `auth` for {key} that is not base64 of user:password",
                           hint=f"log in again with docker login {key}") from None
    return Credentials(user, password)
