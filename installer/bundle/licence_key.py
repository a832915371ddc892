"""The public half of the vendor's licence key, carried by a bundle built with `build.py
--licence-key PUB`: `licence-key.json` at the bundle's top, listed in index.json like any file, so
the bundle's signature covers it. Its presence is what makes the bundle require a licence
(installer/licence.py checks licences against it)."""

from __future__ import annotations

import hashlib
import json

from installer.bundle.errors import BundleError
from installer.bundle.reader import Bundle
from installer.bundle.signature import VendorKey, key_document, parse_key_document

LICENCE_KEY_NAME = "licence-key.json"


def licence_key_file(key: VendorKey) -> bytes:
    """licence-key.json's bytes for `key`."""
    return (json.dumps(key_document(key), indent=1) + "\n").encode()


def licence_key(bundle: Bundle) -> VendorKey | None:
    """The licence key `bundle` carries (its bytes checked against the index), or None: the bundle
    takes no licence."""
    entry = next((e for e in bundle.index.files if e.path == LICENCE_KEY_NAME), None)
    if entry is None:
        return None
    path = bundle.root / LICENCE_KEY_NAME
    try:
        data = path.read_bytes()
    except OSError as e:
        raise BundleError([f"{LICENCE_KEY_NAME}: cannot be read ({e.strerror})"]) from None
    if hashlib.sha256(data).hexdigest() != entry.sha256:
        raise BundleError([f"{LICENCE_KEY_NAME}: does not match its sha256 in index.json"])
    return parse_key_document(data, str(path))
