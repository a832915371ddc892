"""`python build.py keygen [-o PATH]`: make the vendor's Ed25519 key pair that `--sign` uses.

The pair is written by installer/bundle/keypair.py (private key PEM 0600, public key beside it as
`<private>.pub`, never overwriting). An existing key is refused: losing the key a fleet of sites
pinned would force every site's operator to accept a new one by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from installer.bundle import keypair
from installer.bundle.keypair import PUBLIC_SUFFIX
from installer.bundle.signature import VendorKey
from installer.errors import AirliftError

DEFAULT_NAME = "airlift-vendor-key"


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
    return keypair.write_key_pair(private, "sites that pinned it will refuse bundles signed by the new one")
