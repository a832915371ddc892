"""The vendor's signature of a bundle: `signature.json` beside index.json, not listed in it.

index.json names the size and sha256 of every other file, so one Ed25519 signature over its
exact bytes vouches for the whole bundle; the file-by-file verification does the rest. The
document (format 1) is

    {"format": 1, "algorithm": "ed25519",
     "key_id": "SHA256:<base64 of sha256 of the raw 32-byte public key, no padding>",
     "public_key": "<base64 of the raw 32-byte public key>",
     "signature": "<base64 of the signature over index.json's bytes>"}

It carries the public key so anyone can check it; whether that key is the right one is the
site's question (installer/signer_pin.py pins the key of the first install). This module is
the one definition shared by build.py (signs), the installer (verifies) and the hub, and the one
Ed25519 signing and check for licences too (installer/licence.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from installer.bundle.index import INDEX_NAME
from installer.errors import AirliftError

SIGNATURE_NAME = "signature.json"
FORMAT = 1
ALGORITHM = "ed25519"
KEY_ID_PREFIX = "SHA256:"
RAW_KEY_SIZE = 32
SIGNATURE_SIZE = 64
FIELDS = ("format", "algorithm", "key_id", "public_key", "signature")


class SignatureError(AirliftError):
    """A signature that does not check out or cannot be read: a failed check, like a damaged bundle."""

    exit_code = 1


class KeyFileError(AirliftError):
    """A signing key file that cannot be used: the vendor's mistake to fix before building."""


@dataclass(frozen=True)
class VendorKey:
    """A vendor's Ed25519 public key, raw 32 bytes."""

    public_key: bytes

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    @property
    def public_key_b64(self) -> str:
        return base64.b64encode(self.public_key).decode()


@dataclass(frozen=True)
class Signature:
    """A parsed signature.json: who signed, and the signature bytes."""

    key: VendorKey
    signature: bytes

    def to_json(self) -> bytes:
        doc = {"format": FORMAT, "algorithm": ALGORITHM, "key_id": self.key.key_id,
               "public_key": self.key.public_key_b64, "signature": base64.b64encode(self.signature).decode()}
        return (json.dumps(doc, indent=1) + "\n").encode()


def key_id(public_key: bytes) -> str:
    """`SHA256:` and the unpadded base64 of the raw key's sha256, as ssh-keygen prints fingerprints."""
    return KEY_ID_PREFIX + base64.b64encode(hashlib.sha256(public_key).digest()).decode().rstrip("=")


def parse_signature(data: bytes, source: str = SIGNATURE_NAME) -> Signature:
    """The document in `data`; a SignatureError naming `source` and the first field that is wrong."""
    try:
        doc = json.loads(data)
    except ValueError as e:
        raise _malformed(source, f"it is not JSON ({e})") from None
    if not isinstance(doc, dict):
        raise _malformed(source, "it is not a JSON object")
    missing = [f for f in FIELDS if f not in doc]
    if missing:
        raise _malformed(source, f"it lacks {', '.join(missing)}")
    if doc["format"] != FORMAT or doc["algorithm"] != ALGORITHM:
        raise _malformed(source, f"format {doc['format']!r} with algorithm {doc['algorithm']!r} is not known "
                                 f"(this installer reads format {FORMAT}, {ALGORITHM})")
    key = VendorKey(_b64(doc["public_key"], "public_key", RAW_KEY_SIZE, source))
    if doc["key_id"] != key.key_id:
        raise _malformed(source, f"key_id {doc['key_id']!r} is not the id of its public_key ({key.key_id})")
    return Signature(key, _b64(doc["signature"], "signature", SIGNATURE_SIZE, source))


def verify_signature(index_bytes: bytes, signature: Signature) -> None:
    """Return when `signature` was made over exactly `index_bytes` by its key; else SignatureError."""
    if not signature_holds(index_bytes, signature):
        raise SignatureError(
            f"{SIGNATURE_NAME}: the signature by key {signature.key.key_id} does not match {INDEX_NAME}",
            details=f"{INDEX_NAME} was changed after the bundle was signed, or {SIGNATURE_NAME} was made for "
                    "another bundle or names another key than the one that signed",
            hint="copy the bundle tarball again from the vendor's original and unpack it into an empty "
                 "folder; if it fails again, ask the vendor for a correctly signed bundle")


def signature_holds(data: bytes, signature: Signature) -> bool:
    """True when `signature` was made over exactly `data` by its key: the one Ed25519 check, for
    bundles and for licences (installer/licence.py)."""
    try:
        Ed25519PublicKey.from_public_bytes(signature.key.public_key).verify(signature.signature, data)
    except InvalidSignature:
        return False
    return True


def bundle_signer(root: Path) -> VendorKey | None:
    """The key that signed the bundle unpacked in `root` (signature checked); None when unsigned."""
    try:
        data = (root / SIGNATURE_NAME).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise SignatureError(f"{root / SIGNATURE_NAME}: cannot be read ({e.strerror})") from None
    signature = parse_signature(data, str(root / SIGNATURE_NAME))
    verify_signature((root / INDEX_NAME).read_bytes(), signature)
    return signature.key


def sign_index(index_bytes: bytes, private_key: Ed25519PrivateKey) -> Signature:
    """The vendor's signature over index.json's bytes."""
    return sign_bytes(index_bytes, private_key)


def sign_bytes(data: bytes, private_key: Ed25519PrivateKey) -> Signature:
    """`private_key`'s signature over exactly `data` (an index, a licence's canonical bytes)."""
    return Signature(public_key_of(private_key), private_key.sign(data))


def key_document(key: VendorKey) -> dict:
    """A public key as JSON (the bundle's licence-key.json): what parse_key_document reads."""
    return {"format": FORMAT, "algorithm": ALGORITHM, "key_id": key.key_id, "public_key": key.public_key_b64}


def parse_key_document(data: bytes, source: str) -> VendorKey:
    """The public key in a key_document; a SignatureError naming `source` and the wrong field."""
    try:
        doc = json.loads(data)
    except ValueError as e:
        raise _malformed(source, f"it is not JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("algorithm") != ALGORITHM:
        raise _malformed(source, f"it is not a format {FORMAT} {ALGORITHM} key document")
    key = VendorKey(_b64(doc.get("public_key"), "public_key", RAW_KEY_SIZE, source))
    if doc.get("key_id") != key.key_id:
        raise _malformed(source, f"key_id {doc.get('key_id')!r} is not the id of its public_key ({key.key_id})")
    return key


def load_public_key(path: Path, flag: str) -> VendorKey:
    """The Ed25519 public key in `path` (PEM, as keygen writes `<key>.pub`, or the raw 32 bytes), for
    the option `flag`; a KeyFileError naming the file otherwise."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise KeyFileError(f"Cannot read the public key {path} ({e.strerror})",
                           hint=f"give {flag} the .pub file written beside the private key") from None
    if len(data) == RAW_KEY_SIZE:
        return VendorKey(data)
    if b"PRIVATE KEY" in data:
        raise KeyFileError(f"{path} holds a private key; {flag} takes the public half only",
                           hint=f"give {flag} the .pub file beside it; the private key stays with its owner")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFileError(f"{path} is not an Ed25519 public key (PEM or raw 32 bytes)",
                           hint=f"give {flag} the .pub file written beside the private key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path} holds a public key of type {type(key).__name__.removesuffix('PublicKey')}; "
                           "Airlift keys are Ed25519", hint=f"give {flag} the .pub file of an Ed25519 key pair")
    return VendorKey(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def public_key_of(private_key: Ed25519PrivateKey) -> VendorKey:
    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return VendorKey(raw)


def load_private_key(path: Path, flag: str = "--sign", keygen: str = "python build.py keygen") -> Ed25519PrivateKey:
    """The Ed25519 private key in `path`: PEM (PKCS#8, unencrypted) or the raw 32 bytes. `flag` and
    `keygen` name, in the hints, the option that took the file and the command that makes keys."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise KeyFileError(f"Cannot read the signing key {path} ({e.strerror})",
                             hint=f"give the private key file `{keygen}` wrote ({flag} PATH)") from None
    if len(data) == RAW_KEY_SIZE:
        return Ed25519PrivateKey.from_private_bytes(data)
    if b"PUBLIC KEY" in data:
        raise KeyFileError(f"{path} holds a public key; signing needs the private key",
                             hint=f"give the private key file (the one without .pub) to {flag}")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise KeyFileError(f"The signing key {path} is protected by a passphrase, which cannot be asked for here",
                             hint=f"sign with a key without a passphrase ({keygen}), kept where "
                                  "only the signer can read it") from None
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFileError(f"{path} is not an Ed25519 private key (PEM or raw 32 bytes)",
                             hint=f"make a key with {keygen} and give its private key file to {flag}") from None
    if not isinstance(key, Ed25519PrivateKey):
        kind = type(key).__name__.removesuffix("PrivateKey")
        raise KeyFileError(f"{path} holds a private key of type {kind}; Airlift signs with Ed25519 keys",
                             hint=f"make a key with {keygen}")
    return key


def _b64(value: object, field: str, size: int, source: str) -> bytes:
    try:
        raw = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise _malformed(source, f"{field} is not base64") from None
    if len(raw) != size:
        raise _malformed(source, f"{field} holds {len(raw)} bytes, not {size}")
    return raw


def _malformed(source: str, why: str) -> SignatureError:
    return SignatureError(f"{source} cannot be read: {why}",
                          hint="copy the bundle again from the vendor's original; a bundle is signed by "
                               "build.py --sign, and its signature.json is not edited by hand")
