"""The hub's side of licences: its licence key, and the licences it signs with it.

The key pair is made once (`make_licence_key`); its public half is what a vendor gives
`build.py --licence-key`, so every bundle built with it installs only with a licence this hub
issued. `issue_licence` writes the file a site applies (`./install --licence FILE`, `./install
licence apply FILE`). The format and the checks are the installer's (installer/licence.py), so the
hub can never issue a licence a site would read differently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from installer.bundle.keypair import write_key_pair
from installer.bundle.signature import VendorKey, load_private_key
from installer.licence import new_licence, sign_licence

KEYGEN = "python -m hub licence keygen"
FLAG = "--key"


def make_licence_key(private: Path) -> tuple[Path, Path, VendorKey]:
    """Write the hub's licence key pair (`private`, 0600, and `<private>.pub`); never overwrites."""
    return write_key_pair(private, "bundles built with the old public key refuse licences the new one signs")


def issue_licence(key_path: Path, customer: str, application: str, max_nodes: int, expires: dt.date,
                  channel: str | None = None, features: Sequence[str] = ()) -> bytes:
    """The licence file's bytes: `customer` may run `application` on up to `max_nodes` nodes
    through `expires` (inclusive), signed with the licence key in `key_path`. A LicenceError names
    a field that a site would refuse; a KeyFileError a key that cannot sign."""
    key = load_private_key(key_path, FLAG, KEYGEN)
    licence = new_licence(customer, application, max_nodes, expires, dt.datetime.now(dt.UTC), channel,
                          tuple(features))
    return sign_licence(licence, key)
