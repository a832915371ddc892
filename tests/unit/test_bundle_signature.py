"""The vendor's signature of a bundle (installer/bundle/signature.py): a good one checks out and names
its key; a changed index, a signature under another key's name, or a malformed document is refused
with the file named; the writer puts signature.json after index.json; a key file that cannot be
used is named."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile

import pytest
from airlift_build.bundle_writer import write_bundle
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from installer.bundle import Bundle, BundleError, safe_extract
from installer.bundle.signature import (
    SIGNATURE_NAME,
    KeyFileError,
    SignatureError,
    VendorKey,
    bundle_signer,
    key_id,
    load_private_key,
    parse_signature,
    public_key_of,
    sign_index,
    verify_signature,
)
from tests.unit.bundle_helpers import META, demo_files

INDEX = b'{"format": "airlift-bundle/1", "name": "demo"}\n'
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def doc(**changes: object) -> bytes:
    """signature.json of INDEX by KEY, with fields replaced (None removes one)."""
    fields = json.loads(sign_index(INDEX, KEY).to_json())
    fields.update(changes)
    return json.dumps({k: v for k, v in fields.items() if v is not None}).encode()


def test_the_document_has_the_fixed_fields_and_the_key_id_is_sha256_of_the_raw_key():
    fields = json.loads(sign_index(INDEX, KEY).to_json())
    raw = public_key_of(KEY).public_key
    assert set(fields) == {"format", "algorithm", "key_id", "public_key", "signature"}
    assert (fields["format"], fields["algorithm"]) == (1, "ed25519")
    assert base64.b64decode(fields["public_key"]) == raw and len(raw) == 32
    assert fields["key_id"] == "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")
    assert "=" not in fields["key_id"] and key_id(raw) == fields["key_id"]
    assert len(base64.b64decode(fields["signature"])) == 64


def test_a_good_signature_checks_out():
    signature = parse_signature(doc())
    verify_signature(INDEX, signature)
    assert signature.key == public_key_of(KEY)


def test_a_changed_index_is_refused():
    with pytest.raises(SignatureError, match=f"signature by key {public_key_of(KEY).key_id} does not match index.json"):
        verify_signature(INDEX.replace(b"demo", b"dem0"), parse_signature(doc()))


def test_a_signature_under_another_keys_name_is_refused():
    other = public_key_of(OTHER)
    forged = doc(public_key=other.public_key_b64, key_id=other.key_id)
    with pytest.raises(SignatureError, match=f"by key {other.key_id} does not match"):
        verify_signature(INDEX, parse_signature(forged))
    resigned = sign_index(INDEX, OTHER)
    verify_signature(INDEX, resigned)
    assert resigned.key != public_key_of(KEY), "another key signs validly, but under its own id"


@pytest.mark.parametrize(("data", "why"), [
    (b"not json", "it is not JSON"),
    (b"[1, 2]", "it is not a JSON object"),
    (doc(signature=None), "it lacks signature"),
    (doc(format=2), "format 2 with algorithm 'ed25519' is not known"),
    (doc(algorithm="rsa"), "algorithm 'rsa' is not known"),
    (doc(public_key="***"), "public_key is not base64"),
    (doc(public_key=base64.b64encode(b"short").decode()), "public_key holds 5 bytes, not 32"),
    (doc(signature=base64.b64encode(b"x" * 63).decode()), "signature holds 63 bytes, not 64"),
    (doc(key_id="SHA256:abc"), "key_id 'SHA256:abc' is not the id of its public_key"),
], ids=["not-json", "array", "missing", "format", "algorithm", "base64", "key-size", "signature-size", "key-id"])
def test_a_malformed_document_names_the_file_and_the_field(data, why):
    with pytest.raises(SignatureError) as refused:
        parse_signature(data, "/b/signature.json")
    assert refused.value.message.startswith("/b/signature.json cannot be read: ")
    assert why in refused.value.message and refused.value.exit_code == 1


def unpacked(tmp_path, sign=None) -> Bundle:
    buf = io.BytesIO()
    write_bundle(buf, META, demo_files(), lambda f: None, sign=sign)
    (tmp_path / "b.tar").write_bytes(buf.getvalue())
    safe_extract(tmp_path / "b.tar", tmp_path / "out")
    return Bundle.open(tmp_path / "out" / "demo-1.2.3")


def by(key):
    return lambda index_bytes: sign_index(index_bytes, key).to_json()


def test_the_writer_puts_the_signature_after_the_index_and_outside_it(tmp_path):
    bundle = unpacked(tmp_path, by(KEY))
    with tarfile.open(tmp_path / "b.tar") as tar:
        names = tar.getnames()
    assert names[-2:] == ["demo-1.2.3/index.json", f"demo-1.2.3/{SIGNATURE_NAME}"]
    assert SIGNATURE_NAME not in {e.path for e in bundle.index.files}
    bundle.verify()
    assert bundle.signer() == public_key_of(KEY)


def test_an_unsigned_bundle_verifies_and_has_no_signer(tmp_path):
    bundle = unpacked(tmp_path)
    bundle.verify()
    assert bundle.signer() is None and bundle_signer(bundle.root) is None


@pytest.mark.parametrize("damage", ["index", "garbage", "other-key"])
def test_verify_reports_a_bad_signature_as_a_bundle_problem(tmp_path, damage):
    bundle = unpacked(tmp_path, by(KEY))
    signature = bundle.root / SIGNATURE_NAME
    if damage == "index":
        index = bundle.root / "index.json"
        index.write_bytes(index.read_bytes().replace(b'"demo"', b'"demo" '))
    elif damage == "garbage":
        signature.write_bytes(b"\x00garbage")
    else:
        other = public_key_of(OTHER)
        fields = json.loads(signature.read_bytes()) | {"public_key": other.public_key_b64, "key_id": other.key_id}
        signature.write_text(json.dumps(fields))
    with pytest.raises(BundleError) as refused:
        Bundle.open(bundle.root).verify()
    assert refused.value.exit_code == 1
    assert any(SIGNATURE_NAME in p for p in refused.value.problems)
    with pytest.raises(SignatureError):
        bundle.signer()


def test_a_signature_json_deeper_in_the_bundle_is_still_an_extra_file(tmp_path):
    bundle = unpacked(tmp_path, by(KEY))
    (bundle.root / "resources" / SIGNATURE_NAME).write_bytes(b"{}")
    with pytest.raises(BundleError, match="verification"):
        bundle.verify()


def test_keys_load_from_pem_and_raw_bytes(tmp_path):
    pem = tmp_path / "key.pem"
    pem.write_bytes(KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    raw = tmp_path / "key.raw"
    raw.write_bytes(bytes(range(32)))
    assert public_key_of(load_private_key(pem)) == public_key_of(load_private_key(raw)) == public_key_of(KEY)


def _pem(key, password=None) -> bytes:
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


@pytest.mark.parametrize(("content", "message"), [
    (None, "Cannot read the signing key"),
    (b"garbage that is no key at all", "is not an Ed25519 private key"),
    (KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
     "holds a public key"),
    (_pem(KEY, b"secret"), "is protected by a passphrase"),
    (_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)), "holds a private key of type RSA"),
], ids=["missing", "garbage", "public", "passphrase", "rsa"])
def test_a_key_file_that_cannot_sign_is_named(tmp_path, content, message):
    path = tmp_path / "vendor.key"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(KeyFileError) as refused:
        load_private_key(path)
    assert str(path) in refused.value.message and message in refused.value.message
    assert refused.value.hint and refused.value.exit_code == 2


def test_a_vendor_key_is_its_raw_bytes():
    assert VendorKey(b"k" * 32) == VendorKey(b"k" * 32) != VendorKey(b"j" * 32)
