"""The signed envelope a site sends its hub: enrollment, check-ins, disconnection and the offline
report file (and the opening and closing of a support session) are all one format, so the hub reads a file carried out on a USB stick exactly as a
check-in that came over HTTPS.

    {"format": 1,
     "payload": "<base64 of the payload's JSON bytes>",
     "signature": {signature.json's document over exactly those bytes (installer/bundle/signature.py)}}

The payload travels as base64 so the signed bytes are the bytes received: nothing is ever
serialized again before the check. Its fields (every kind):

    format: 1, kind: "enroll" | "check-in" | "report" | "disconnect" | "download" | "support-open" |
            "support-close",
    site: site id (site_id() of the signing key), seq: the site's sequence number (each document a
    higher one), sent_at: the site's clock (ISO 8601, UTC), interval_s: seconds between check-ins

a "support-open" adds allow [panel|kube|ssh:NODE], ttl_s, kube_ca (PEM) | null and host_keys
{ssh:NODE: OpenSSH key line}; and, but for
"disconnect" and the support kinds: application, release {name, version, index_sha256} | null, status
(`./install status --json`'s document) | null, alerts [..], inventory_sha256 and inventory [sha256 hex
of every blob the site holds] (inventory_part(): left out when the hub's last answer said it holds
that digest); a "report" adds events [{at, kind, message}] since the site's previous report file.
A "download" asks for the plan of the next update (with `release`) or for a bundle's bytes
(`version`, `base`: a differential bundle's base version or null), sent in the Authorization
header (signed_header) so each request of a resumed download is signed anew.

This module is shared by the installer (seals) and the hub (opens): one Ed25519 signature
(installer/bundle/signature.py), one definition of a site id.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from installer.bundle.signature import (
    Signature,
    SignatureError,
    VendorKey,
    parse_signature,
    sign_bytes,
    signature_holds,
)
from installer.errors import AirliftError

FORMAT = 1
KINDS = ("enroll", "check-in", "report", "disconnect", "download", "support-open", "support-close")
MAX_ENVELOPE = 32 << 20  # a check-in of a site with a large registry stays far below
SIGNED_REQUEST = "Airlift-Site"  # the Authorization scheme of a request signed by a site (downloads)
SITE_ID_PREFIX = "site-"
SITE_ID_HEX = 20


class EnvelopeError(AirliftError):
    """A document that cannot be read, or whose signature does not hold."""

    exit_code = 1


class ForgedEnvelope(EnvelopeError):
    """A document whose signature does not hold, or that names another site than its key's."""


@dataclass(frozen=True)
class Opened:
    """An envelope whose signature was checked against the key it carries (whether that key is
    the site's enrolled one is the hub's question)."""

    payload: dict[str, Any]
    key: VendorKey
    digest: str  # sha256 of the signed payload bytes: the same document twice has the same digest

    @property
    def kind(self) -> str:
        return str(self.payload["kind"])

    @property
    def site(self) -> str:
        return str(self.payload["site"])

    @property
    def seq(self) -> int:
        return int(self.payload["seq"])

    def sent_at(self) -> datetime.datetime | None:
        """The site's clock when it signed, None when unreadable (a wrong clock is no reason to refuse)."""
        try:
            moment = datetime.datetime.fromisoformat(str(self.payload["sent_at"]))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def site_id(key: VendorKey) -> str:
    """A site's id: from its public key, so a document names the only key that may have signed it."""
    return SITE_ID_PREFIX + hashlib.sha256(key.public_key).hexdigest()[:SITE_ID_HEX]


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def seal(payload: dict[str, Any], private_key: Ed25519PrivateKey) -> bytes:
    """`payload` signed by the site's key, as the envelope's bytes."""
    data = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    signature = sign_bytes(data, private_key)
    doc = {"format": FORMAT, "payload": base64.b64encode(data).decode(), "signature": json.loads(signature.to_json())}
    return json.dumps(doc).encode()


def open_envelope(data: bytes, source: str = "the document") -> Opened:
    """The checked payload of an envelope; EnvelopeError saying what is wrong with it."""
    if len(data) > MAX_ENVELOPE:
        raise EnvelopeError(f"{source} is {len(data)} bytes, more than the {MAX_ENVELOPE} a site document may be")
    try:
        doc = json.loads(data)
        payload_bytes = base64.b64decode(str(doc["payload"]), validate=True)
        signature = _signature(doc["signature"], source)
    except (ValueError, KeyError, TypeError, binascii.Error) as e:
        raise EnvelopeError(f"{source} is not a signed site document ({type(e).__name__}: {e})",
                            hint="give the file ./install report --for-hub wrote, unchanged") from None
    if doc.get("format") != FORMAT:
        raise EnvelopeError(f"{source} has format {doc.get('format')!r}; this hub reads format {FORMAT}")
    if not signature_holds(payload_bytes, signature):
        raise ForgedEnvelope(f"{source}: the signature by key {signature.key.key_id} does not match its contents",
                            hint="the document was changed after the site signed it; write a new one on the site")
    try:
        payload = json.loads(payload_bytes)
    except ValueError as e:
        raise EnvelopeError(f"{source}: its signed contents are not JSON ({e})") from None
    _check_payload(payload, signature.key, source)
    return Opened(payload, signature.key, hashlib.sha256(payload_bytes).hexdigest())


def signed_header(envelope: bytes) -> str:
    """An envelope as an HTTP Authorization value: a site's signed request for bundle bytes."""
    return f"{SIGNED_REQUEST} {base64.b64encode(envelope).decode()}"


def opened_header(value: str) -> Opened:
    """The checked envelope of a signed_header() value."""
    scheme, _, data = value.partition(" ")
    if scheme != SIGNED_REQUEST or not data:
        raise EnvelopeError("the request carries no signed site document")
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except binascii.Error:
        raise EnvelopeError("the signed site document in the request is not base64") from None
    return open_envelope(raw, "the signed request")


def _signature(doc: Any, source: str) -> Signature:
    try:
        return parse_signature(json.dumps(doc).encode(), source)
    except SignatureError as e:
        raise EnvelopeError(e.message) from None


def _check_payload(payload: Any, key: VendorKey, source: str) -> None:
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise EnvelopeError(f"{source}: its contents are not a format {FORMAT} site document")
    if payload.get("kind") not in KINDS:
        raise EnvelopeError(f"{source}: kind {payload.get('kind')!r} is not one of {', '.join(KINDS)}")
    seq = payload.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise EnvelopeError(f"{source}: seq {seq!r} is not a sequence number")
    if payload.get("site") != site_id(key):
        raise ForgedEnvelope(f"{source} names site {payload.get('site')!r} but is signed by the key of "
                            f"{site_id(key)}")


def inventory_digest(digests: Iterable[str]) -> str:
    """One sha256 for a whole inventory, the same whatever the order: how a site and its hub tell
    that the inventory the hub holds is still the site's."""
    return hashlib.sha256("\n".join(sorted(digests)).encode()).hexdigest()


def inventory_part(held: list[str], hub_holds: str | None) -> dict[str, Any]:
    """A document's inventory fields. The inventory changes only when blobs come or go (an
    upgrade, a cleanup), so when its digest is `hub_holds` (the one the hub's last answer said it
    holds) the digest alone is sent: 64 characters instead of tens of KB at every check-in, over
    what may be a site's thin link."""
    digest = inventory_digest(held)
    return {"inventory_sha256": digest} if digest == hub_holds else {"inventory_sha256": digest, "inventory": held}
