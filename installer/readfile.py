"""Reading a small text file that may be missing or unreadable (a /proc entry, a secret, a config
a service wrote): one way for every module to which "cannot read it" means "nothing there"."""

from __future__ import annotations

from pathlib import Path


def read_text(path: Path) -> str | None:
    """The file's text (bytes that are not UTF-8 replaced), or None when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
