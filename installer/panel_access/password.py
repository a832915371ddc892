"""The control panel's admin password: chosen at install (the wizard's settings, the CLI's prompt or
`--panel-password-file`) or later with `./install panel-password`, kept only as an scrypt hash.

The hash reads `scrypt$<n>$<r>$<p>$<salt>$<key>` (base64), so its cost can grow in a later release
and old hashes still verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path

from installer.errors import AirliftError
from installer.host import Host
from installer.statedir import StateDir

MIN_LENGTH = 10
N, R, P = 2**15, 8, 1  # about 0.1 s and 32 MiB per check: slow to guess, quick for one sign-in
KEY_BYTES = 32
MAX_MEM = 64 * 1024 * 1024


class PasswordError(AirliftError):
    """A password refused before it is hashed (too short, or not text)."""


def check_password(password: str) -> None:
    """Refuse a password too short to resist guessing, naming the rule."""
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"The control panel's password is too short ({len(password)} characters)",
                            hint=f"choose one of at least {MIN_LENGTH} characters")


def hash_password(password: str) -> str:
    """The scrypt hash of `password` with a fresh salt (check_password first)."""
    check_password(password)
    salt = secrets.token_bytes(16)
    key = _scrypt(password, salt, N, R, P)
    return "$".join(("scrypt", str(N), str(R), str(P), _b64(salt), _b64(key)))


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches the hash `stored`; a malformed hash matches nothing."""
    try:
        scheme, n, r, p, salt, key = stored.strip().split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        got = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def save_password(state_dir: Path, password_hash: str) -> Path:
    """Write the hash as `<state>/panel/password` (0600), replacing an older one atomically."""
    paths = StateDir(state_dir)
    paths.panel.mkdir(parents=True, exist_ok=True, mode=0o700)
    Host().write_file(paths.panel_password, password_hash + "\n", mode=0o600)
    return paths.panel_password


def saved_hash(state_dir: Path) -> str | None:
    """The stored hash, or None when no password was chosen (sign-in is by link only then)."""
    path = StateDir(state_dir).panel_password
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=MAX_MEM, dklen=KEY_BYTES)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
