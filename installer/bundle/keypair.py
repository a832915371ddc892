"""Write a new Ed25519 key pair: the one key maker behind `build.py keygen` (the vendor key that
signs bundles) and the hub's licence key (hub/licences.py).

The private key is written as unencrypted PKCS#8 PEM with mode 0600 (read without a question by
whoever signs), the public key beside it as `<private>.pub` (PEM). An existing file is never
overwritten: sites trust a key once they have seen it, so losing it would leave every one of them
refusing what the new key signs.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from installer.bundle.signature import VendorKey, public_key_of
from installer.errors import AirliftError

PUBLIC_SUFFIX = ".pub"


def write_key_pair(private: Path, replaced: str) -> tuple[Path, Path, VendorKey]:
    """Write a new key pair at `private` and `<private>.pub`; refuse to overwrite either. `replaced`
    says, in the refusal's hint, what replacing the key would break."""
    public = private.with_name(private.name + PUBLIC_SUFFIX)
    existing = [str(p) for p in (private, public) if p.exists() or p.is_symlink()]
    if existing:
        raise AirliftError(f"{' and '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
                           "a key is never overwritten",
                           hint="choose another path with -o, or move the old key away first if you really "
                                f"mean to replace it ({replaced})")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    _write(private, pem, 0o600)
    _write(public, key.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo), 0o644)
    return private, public, public_key_of(key)


def _write(path: Path, data: bytes, mode: int) -> None:
    """Create `path` with `mode` from the start (never readable by others, even for a moment)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise AirliftError(f"{path} already exists; a key is never overwritten",
                           hint="choose another path with -o") from None
    except OSError as e:
        raise AirliftError(f"Cannot write {path} ({e.strerror})",
                           hint="choose a folder you can write to with -o") from None
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, mode)  # the umask may have taken bits the mode asked for
