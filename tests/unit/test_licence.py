"""Licences (installer/licence.py, hub/licences.py): what the hub issues a site reads back, and every
refusal says why in plain words naming the field: forged, another key, another application,
expired, too few nodes, and files that are not licences at all."""

from __future__ import annotations

import base64
import datetime as dt
import json
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.licences import issue_licence, make_licence_key
from installer.bundle.signature import KeyFileError, load_public_key, public_key_of
from installer.licence import LicenceError, canonical, check_licence, read_licence

TODAY = dt.date(2025, 6, 1)


@pytest.fixture
def keys(tmp_path):
    private, public, key = make_licence_key(tmp_path / "licence.key")
    return private, load_public_key(public, "--licence-key")


def issue(private, **changes) -> bytes:
    fields = {"customer": "Acme", "application": "hello", "max_nodes": 3, "expires": dt.date(2025, 12, 31),
              "channel": "stable", "features": ("support",)} | changes
    return issue_licence(private, **fields)


def test_an_issued_licence_reads_back_with_the_public_key(keys):
    private, public = keys
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    licence = read_licence(issue(private), "acme.json", public)
    assert (licence.customer, licence.application, licence.max_nodes) == ("Acme", "hello", 3)
    assert (licence.expires, licence.channel, licence.features) == (dt.date(2025, 12, 31), "stable", ("support",))
    assert len(licence.id) == 32 and licence.issued.endswith("Z")
    assert check_licence(licence, "hello", TODAY, nodes=3) == licence


def test_a_reindented_file_still_verifies(keys):
    private, public = keys
    doc = json.loads(issue(private))
    assert read_licence(json.dumps(doc, indent=4, sort_keys=True).encode(), "acme.json", public).customer == "Acme"


def test_the_licence_key_is_never_overwritten(keys, tmp_path):
    with pytest.raises(Exception, match="never overwritten"):
        make_licence_key(tmp_path / "licence.key")


def test_issuing_with_a_public_key_names_the_hub_command(keys, tmp_path):
    with pytest.raises(KeyFileError) as refused:
        issue(tmp_path / "licence.key.pub")
    assert "holds a public key" in refused.value.message and "--key" in refused.value.hint


def test_a_licence_changed_after_issue_is_forged(keys):
    private, public = keys
    doc = json.loads(issue(private))
    doc["licence"]["max_nodes"] = 300
    with pytest.raises(LicenceError) as refused:
        read_licence(json.dumps(doc).encode(), "acme.json", public)
    assert "acme.json: the licence's signature does not match its contents" in refused.value.message
    assert "forged" in refused.value.message


def test_a_licence_of_another_hub_names_both_keys(keys, tmp_path):
    _, public = keys
    other, _, other_key = make_licence_key(tmp_path / "other.key")
    with pytest.raises(LicenceError) as refused:
        read_licence(issue(other), "acme.json", public)
    assert f"signed by key {other_key.key_id}, not by the licence key {public.key_id}" in refused.value.message


def test_a_signature_by_another_key_under_this_key_id_is_forged(keys):
    private, public = keys
    doc = json.loads(issue(private))
    forger = Ed25519PrivateKey.generate()
    doc["signature"] = base64.b64encode(forger.sign(canonical(doc["licence"]))).decode()
    assert public_key_of(forger) != public
    with pytest.raises(LicenceError, match="does not match its contents"):
        read_licence(json.dumps(doc).encode(), "acme.json", public)


@pytest.mark.parametrize(("changes", "nodes", "reason"), [
    ({"application": "other"}, 1, "its application is 'other', not 'hello'"),
    ({"expires": dt.date(2025, 5, 31)}, 1, "it expired on 2025-05-31 (its expires field; today is 2025-06-01)"),
    ({"max_nodes": 1}, 3, "its max_nodes allows 1 node(s), but the flavor three needs 3"),
])
def test_each_refusal_names_its_field(keys, changes, nodes, reason):
    private, public = keys
    licence = read_licence(issue(private, **changes), "acme.json", public)
    with pytest.raises(LicenceError) as refused:
        check_licence(licence, "hello", TODAY, nodes, "the flavor three", "acme.json")
    assert reason in refused.value.message and refused.value.message.startswith("acme.json (licence ")
    assert "ask the vendor" in refused.value.hint


def test_a_licence_is_valid_through_its_expiry_day(keys):
    private, public = keys
    licence = read_licence(issue(private, expires=TODAY), "acme.json", public)
    assert not licence.expired(TODAY) and licence.expired(TODAY + dt.timedelta(days=1))


def _doc(private, edit) -> bytes:
    doc = json.loads(issue(private))
    edit(doc)
    return json.dumps(doc).encode()


BAD_FILES = {
    "not json": (lambda p: b"\x00garbage", "it is not a JSON document"),
    "a list": (lambda p: b"[1, 2]", "it is not a JSON object"),
    "no signature": (lambda p: _doc(p, lambda d: d.pop("signature")), "it lacks the field(s) signature"),
    "other format": (lambda p: _doc(p, lambda d: d.update(format="x/2")), "format 'x/2'"),
    "max_nodes text": (lambda p: _doc(p, lambda d: d["licence"].update(max_nodes="3")),
                       "licence.max_nodes must be a whole number of at least 1"),
    "bad date": (lambda p: _doc(p, lambda d: d["licence"].update(expires="31/12/2025")),
                 "licence.expires must be a date like 2026-12-31"),
    "no customer": (lambda p: _doc(p, lambda d: d["licence"].pop("customer")), "licence.customer must be"),
    "short signature": (lambda p: _doc(p, lambda d: d.update(signature="AAAA")), "signature holds 3 bytes"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_file_that_is_not_a_licence_says_what_is_wrong(keys, case):
    private, public = keys
    make, reason = BAD_FILES[case]
    with pytest.raises(LicenceError) as refused:
        read_licence(make(private), "acme.json", public)
    assert refused.value.message.startswith("acme.json is not a licence file Airlift can read: ")
    assert reason in refused.value.message


def test_the_hub_refuses_to_issue_what_a_site_would_refuse(keys):
    private, _ = keys
    with pytest.raises(LicenceError, match="licence.max_nodes must be a whole number"):
        issue(private, max_nodes=0)
