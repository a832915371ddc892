"""The install's two secrets, made once and kept in the state directory (0600), never logged.

The join token is the one secret nodes present to join the install; every node holds it. The
admin token admits the administrative actions (removing a node) and never leaves the first
master: `./install remove` reads it there. A restarted installer or controller finds both again.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from installer.statedir import StateDir


def load_or_create(state_dir: Path) -> str:
    """The join token saved in `state_dir`, or a new one saved there (readable by root only)."""
    return _load_or_create(StateDir(state_dir).join_token)


def load_or_create_admin(state_dir: Path) -> str:
    """The admin token saved in `state_dir`, or a new one saved there (readable by root only)."""
    return _load_or_create(StateDir(state_dir).admin_token)


def _load_or_create(path: Path) -> str:
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    token = secrets.token_hex(24)  # no leading "-": argparse would read `--token -x…` as two options
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    return token
