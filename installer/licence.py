"""Licences: what the vendor's hub signs and a site checks offline, with no network and no clock
but its own.

A licence file is one JSON document (format "airlift-licence/1"):

    {"format": "airlift-licence/1",
     "licence": {"id": "<32 hex>", "customer": "Acme", "application": "hello", "max_nodes": 3,
                 "expires": "2026-12-31", "channel": "stable" | null, "features": ["..."],
                 "issued": "2025-01-31T12:00:00Z"},
     "algorithm": "ed25519", "key_id": "SHA256:<...>",
     "signature": "<base64 Ed25519 signature over canonical(licence)>"}

canonical() is the licence object as compact JSON with sorted keys and ASCII only, so the file
may be re-indented without breaking the signature. The public half of the hub's licence key
travels inside the bundle (installer/bundle/licence_key.py), which the bundle's own index and
signature cover; signing and checking go through installer/bundle/signature.py, as for bundles.
A licence is valid through its `expires` day. This module is pure: it reads bytes, never files,
and is given today's date; every refusal names the field it is about and what to do.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from installer.bundle.signature import (
    ALGORITHM,
    KEY_ID_PREFIX,
    SIGNATURE_SIZE,
    Signature,
    VendorKey,
    sign_bytes,
    signature_holds,
)
from installer.errors import AirliftError

FORMAT = "airlift-licence/1"
ASK_VENDOR = "ask the vendor for a licence file for this application (their hub issues it)"


class LicenceError(AirliftError):
    """A licence that is refused: unreadable, forged, for another application, expired, or too small."""


@dataclass(frozen=True)
class Licence:
    """What a licence grants, once its signature checked out."""

    id: str
    customer: str
    application: str
    max_nodes: int
    expires: dt.date
    issued: str
    channel: str | None = None
    features: tuple[str, ...] = field(default_factory=tuple)

    def expired(self, today: dt.date) -> bool:
        """True after its `expires` day."""
        return today > self.expires

    def to_dict(self) -> dict:
        """The `licence` object of the file (and of `./install status --json`)."""
        return {"id": self.id, "customer": self.customer, "application": self.application,
                "max_nodes": self.max_nodes, "expires": self.expires.isoformat(), "channel": self.channel,
                "features": list(self.features), "issued": self.issued}

    def describe(self) -> str:
        """One line for the operator."""
        return (f"licence {self.id} for {self.customer}: {self.application} on up to {self.max_nodes} node(s), "
                f"valid through {self.expires.isoformat()}")


@dataclass(frozen=True)
class SignedLicence:
    """A parsed licence file: the licence, the id of the key that signed it, and the signature."""

    licence: Licence
    body: dict  # the licence object as the file holds it: what the signature covers
    key_id: str
    signature: bytes


def canonical(licence: dict) -> bytes:
    """The exact bytes that are signed."""
    return json.dumps(licence, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def new_licence(customer: str, application: str, max_nodes: int, expires: dt.date, issued: dt.datetime,
                channel: str | None = None, features: tuple[str, ...] = ()) -> Licence:
    """A licence with a fresh id; its fields are checked as a site would read them."""
    doc = Licence(uuid.uuid4().hex, customer, application, max_nodes, expires,
                  issued.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), channel,
                  tuple(features)).to_dict()
    return _licence(doc, "the new licence")


def sign_licence(licence: Licence, private_key: Ed25519PrivateKey) -> bytes:
    """The licence file's bytes: `licence` signed with the hub's licence key."""
    body = licence.to_dict()
    signed = sign_bytes(canonical(body), private_key)
    doc = {"format": FORMAT, "licence": body, "algorithm": ALGORITHM, "key_id": signed.key.key_id,
           "signature": base64.b64encode(signed.signature).decode()}
    return (json.dumps(doc, indent=1) + "\n").encode()


def parse_licence(data: bytes, source: str) -> SignedLicence:
    """The licence file in `data` (read from `source`, named in refusals); LicenceError naming the
    first field that is missing or wrong."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise _bad(source, "it is not a JSON document") from None
    if not isinstance(doc, dict):
        raise _bad(source, "it is not a JSON object")
    missing = [f for f in ("format", "licence", "algorithm", "key_id", "signature") if f not in doc]
    if missing:
        raise _bad(source, f"it lacks the field(s) {', '.join(missing)}")
    if doc["format"] != FORMAT or doc["algorithm"] != ALGORITHM:
        raise _bad(source, f"format {doc['format']!r} with algorithm {doc['algorithm']!r} is not one this installer "
                           f"reads ({FORMAT}, {ALGORITHM})")
    if not isinstance(doc["key_id"], str) or not doc["key_id"].startswith(KEY_ID_PREFIX):
        raise _bad(source, f"key_id must be a key id like {KEY_ID_PREFIX}…")
    if not isinstance(doc["licence"], dict):
        raise _bad(source, "licence is not a JSON object")
    body = doc["licence"]
    return SignedLicence(_licence(body, source), body, doc["key_id"], _signature(doc["signature"], source))


def verify_licence(signed: SignedLicence, key: VendorKey, source: str) -> Licence:
    """The licence, once its signature by `key` over its canonical bytes checks out; else a
    LicenceError saying it is forged (or signed by another hub's key)."""
    if signed.key_id != key.key_id:
        raise LicenceError(f"{source}: the licence is signed by key {signed.key_id}, not by the licence key "
                           f"{key.key_id} this application trusts",
                           details="it was issued by another vendor's hub, or for another product",
                           hint=ASK_VENDOR)
    if not signature_holds(canonical(signed.body), Signature(key, signed.signature)):
        raise LicenceError(f"{source}: the licence's signature does not match its contents: it was changed after "
                           "it was issued, or forged",
                           details=f"the signature field is not key {key.key_id}'s signature of the licence field",
                           hint=f"use the licence file exactly as the vendor sent it; if it still fails, {ASK_VENDOR}")
    return signed.licence


def read_licence(data: bytes, source: str, key: VendorKey) -> Licence:
    """Parse and verify: the licence in `data` if `key` signed it."""
    return verify_licence(parse_licence(data, source), key, source)


def refusals(licence: Licence, application: str, today: dt.date, nodes: int | None = None,
             nodes_for: str = "") -> list[str]:
    """Why `licence` may not serve `application` on `nodes` nodes today (`nodes_for` says whose
    count it is, e.g. "the flavor three"); [] when it may."""
    found = []
    if licence.application != application:
        found.append(f"its application is {licence.application!r}, not {application!r}")
    if licence.expired(today):
        found.append(f"it expired on {licence.expires.isoformat()} (its expires field; today is {today.isoformat()})")
    if nodes is not None and nodes > licence.max_nodes:
        found.append(f"its max_nodes allows {licence.max_nodes} node(s), but {nodes_for or 'this cluster'} "
                     f"needs {nodes}")
    return found


def check_licence(licence: Licence, application: str, today: dt.date, nodes: int | None = None,
                  nodes_for: str = "", source: str = "the licence") -> Licence:
    """`licence` if no refusal applies; else a LicenceError listing every reason."""
    found = refusals(licence, application, today, nodes, nodes_for)
    if found:
        raise LicenceError(f"{source} ({licence.describe()}) is refused: " + "; ".join(found),
                           hint=f"{ASK_VENDOR}, valid today and for enough nodes")
    return licence


def _licence(doc: dict, source: str) -> Licence:
    """The licence object, each field checked."""
    text = {name: _text(doc, name, source) for name in ("id", "customer", "application", "issued")}
    max_nodes = doc.get("max_nodes")
    if not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 1:
        raise _bad(source, f"licence.max_nodes must be a whole number of at least 1, not {max_nodes!r}")
    try:
        expires = dt.date.fromisoformat(str(doc.get("expires")))
    except ValueError:
        raise _bad(source, f"licence.expires must be a date like 2026-12-31, not {doc.get('expires')!r}") from None
    channel = doc.get("channel")
    if channel is not None and not (isinstance(channel, str) and channel):
        raise _bad(source, f"licence.channel must be a name or null, not {channel!r}")
    features = doc.get("features", [])
    if not isinstance(features, list) or not all(isinstance(f, str) and f for f in features):
        raise _bad(source, f"licence.features must be a list of names, not {features!r}")
    return Licence(text["id"], text["customer"], text["application"], max_nodes, expires, text["issued"],
                   channel, tuple(features))


def _text(doc: dict, name: str, source: str) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _bad(source, f"licence.{name} must be a non-empty text, not {value!r}")
    return value


def _signature(value: object, source: str) -> bytes:
    try:
        raw = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise _bad(source, "signature is not base64") from None
    if len(raw) != SIGNATURE_SIZE:
        raise _bad(source, f"signature holds {len(raw)} bytes, not {SIGNATURE_SIZE}")
    return raw


def _bad(source: str, why: str) -> LicenceError:
    return LicenceError(f"{source} is not a licence file Airlift can read: {why}",
                        hint=f"give the licence file exactly as the vendor sent it; if it still fails, {ASK_VENDOR}")
