"""The registry's one user: a name and a password made for this install, kept 0600 in the state
directory, so the nodes (given them over the pinned agent channel) and `./install status` can pull.

The registry itself sees only the htpasswd file, hashed with bcrypt: the only hash Docker's
distribution accepts there.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt

from installer.host import Host

USERNAME = "airlift"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)


def load_credentials(path: Path) -> Credentials | None:
    """The credentials kept at `path`, None when there are none (nothing installed yet)."""
    try:
        data = json.loads(Path(path).read_text())
        return Credentials(str(data["username"]), str(data["password"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def ensure_credentials(host: Host, path: Path) -> Credentials:
    """The kept credentials, or new ones written 0600: a second run keeps the password the nodes
    already hold."""
    kept = load_credentials(path)
    if kept is not None:
        return kept
    made = Credentials(USERNAME, secrets.token_urlsafe(24))
    host.write_file(path, json.dumps({"username": made.username, "password": made.password}), mode=0o600)
    return made


def ensure_htpasswd(host: Host, path: Path, credentials: Credentials) -> None:
    """Write the registry's htpasswd file (0600) unless it already admits `credentials`."""
    try:
        text = Path(path).read_text()
    except OSError:
        text = ""
    if not htpasswd_admits(text, credentials):
        host.write_file(path, htpasswd_line(credentials), mode=0o600)


def htpasswd_line(credentials: Credentials) -> str:
    """`user:$2b$...`, one line of the registry's htpasswd file."""
    hashed = bcrypt.hashpw(credentials.password.encode(), bcrypt.gensalt())
    return f"{credentials.username}:{hashed.decode()}\n"


def htpasswd_admits(text: str, credentials: Credentials) -> bool:
    """Whether an htpasswd file's text already admits `credentials` (so it need not change)."""
    for line in text.splitlines():
        user, _, hashed = line.partition(":")
        if user == credentials.username and hashed:
            try:
                return bcrypt.checkpw(credentials.password.encode(), hashed.encode())
            except ValueError:
                return False
    return False
