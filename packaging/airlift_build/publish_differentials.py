"""`build.py --sign KEY … --publish`: sign the published release's differential bundles.

The hub makes a release's differential bundle against any earlier release (hub/differentials.py)
but holds no vendor key, and a site pinned to the vendor key refuses an unsigned bundle. So the
publisher, who holds the key, signs the differential index against each of the last few releases
the hub lists before this one. It makes each index itself, by the same rule as `--since`
(installer.bundle.differential), from this bundle's index and the base's as the hub serves it
(the hub checked the base's signature when it was published); the hub keeps the signature only
if it is by the release's key over the very bytes it made.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from airlift_build.publish import Publisher
from installer.bundle.differential import differential_index
from installer.bundle.index import Index

DEFAULT_COUNT = 3

# index.json's bytes -> signature.json's bytes (installer.bundle.signature)
Signer = Callable[[bytes], bytes]


def sign_differentials(publisher: Publisher, index_bytes: bytes, sign: Signer,
                       count: int = DEFAULT_COUNT) -> list[str]:
    """Sign the differentials against the `count` newest earlier releases that still lack a
    signature; returns the base versions signed."""
    index = Index.from_json(index_bytes)
    release = f"/applications/{quote(index.name, safe='')}/releases/{quote(index.version, safe='')}"
    listed = publisher.request("GET", f"{release}/differentials").json()["differentials"][:count]
    signed = []
    for entry in listed:
        if not entry["needs_signature"]:
            continue
        version = quote(entry["base"], safe="")
        base_bytes = publisher.request("GET", f"/applications/{quote(index.name, safe='')}/releases/"
                                              f"{version}/index.json").content
        ours = differential_index(index, Index.from_json(base_bytes), base_bytes).to_json()
        publisher.request("PUT", f"{release}/differentials/{version}/signature", data=sign(ours),
                          headers={"Content-Type": "application/json"})
        signed.append(entry["base"])
    return signed
