"""`python build.py keygen [-o PATH]`: make the vendor's Ed25519 key pair that `--sign` uses.

The private key is written as unencrypted PKCS#8 PEM with mode 0600 (the build reads it without
a question), the public key beside it as `<private>.pub` (PEM). An existing file is never
overwritten: losing the key a fleet of sites pinned would force every site's operator to accept
a new one by hand.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from installer.bundle.signature import VendorKey, public_key_of
from installer.errors import AirliftError

DEFAULT_NAME = "airlift-vendor-key"
PUBLIC_SUFFIX = ".pub"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="build.py keygen",
                                description="Make a vendor key pair for signing bundles (build.py --sign KEY).")
    p.add_argument("-o", "--out", type=Path, default=Path(DEFAULT_NAME), metavar="PATH",
                   help=f"the private key file to write, or a folder to write {DEFAULT_NAME} into "
                        f"(default: ./{DEFAULT_NAME}); the public key goes beside it as <file>{PUBLIC_SUFFIX}")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        private, public, key = write_key_pair(args.out)
    except AirliftError as e:
        print(f"error: {e.render()}", file=sys.stderr)
        return e.exit_code
    print(f"Private key: {private} (keep it secret; build.py --sign {private})")
    print(f"Public key:  {public}")
    print(f"Key id:      {key.key_id}")
    return 0


def write_key_pair(out: Path) -> tuple[Path, Path, VendorKey]:
    """Write a new key pair at `out` (a file, or a folder to hold DEFAULT_NAME); refuse to overwrite."""
    private = out / DEFAULT_NAME if out.is_dir() else out
    public = private.with_name(private.name + PUBLIC_SUFFIX)
    existing = [str(p) for p in (private, public) if p.exists() or p.is_symlink()]
    if existing:
        raise AirliftError(f"{' and '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
                           "a vendor key is never overwritten",
                           hint="choose another path with -o, or move the old key away first if you really "
                                "mean to replace it (sites that pinned it will refuse bundles signed by the new one)")
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
        raise AirliftError(f"{path} already exists; a vendor key is never overwritten",
                           hint="choose another path with -o") from None
    except OSError as e:
        raise AirliftError(f"Cannot write {path} ({e.strerror})",
                           hint="choose a folder you can write to with -o") from None
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, mode)  # the umask may have taken bits the mode asked for
