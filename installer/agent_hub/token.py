"""The join token: the one secret nodes present to join the install (never logged).

It is made when the installer first listens for nodes and kept in the state directory (0600),
so a restarted installer accepts the agents that joined before.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from installer.statedir import StateDir


def load_or_create(state_dir: Path) -> str:
    """The token saved in `state_dir`, or a new one saved there (readable by root only)."""
    path = StateDir(state_dir).join_token
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    token = secrets.token_hex(24)  # no leading "-": argparse would read `--token -x…` as two options
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    return token
