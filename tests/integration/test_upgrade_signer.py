"""hello 1.0.0 signed by vendor key A, installed on this machine (temp root + state dir, the k3s
stand-in): the install pins A, and `./install upgrade --dry-run` refuses hello 1.1.0 signed by
another key or unsigned unless the operator passes --allow-other-signer, and takes it signed by A."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from installer.bundle.signature import SIGNATURE_NAME, public_key_of, sign_index
from tests.integration.installer_run import Target
from tests.integration.test_upgrade_dry_run import next_bundle, upgrade

pytestmark = pytest.mark.integration

A = Ed25519PrivateKey.generate()
B = Ed25519PrivateKey.generate()
A_ID, B_ID = public_key_of(A).key_id, public_key_of(B).key_id
__all__ = ["next_bundle"]  # the unsigned hello 1.1.0 fixture, shared with the dry-run test


def said(result) -> str:  # noqa: ANN001
    """The output with the terminal's line breaks undone (long key ids wrap)."""
    return " ".join(result.stdout.split())


def signed_copy(bundle: Path, folder: Path, key: Ed25519PrivateKey | None) -> Path:
    """A copy of `bundle` (hard links) with signature.json by `key`, or none."""
    copy = folder / bundle.name
    shutil.copytree(bundle, copy, copy_function=os.link)
    if key is not None:
        (copy / SIGNATURE_NAME).write_bytes(sign_index((copy / "index.json").read_bytes(), key).to_json())
    return copy


@pytest.fixture(scope="module")
def installed(hello_bundle_dir, tmp_path_factory):
    bundle = signed_copy(hello_bundle_dir, tmp_path_factory.mktemp("signed-by-a"), A)
    target = Target.installed(bundle, tmp_path_factory.mktemp("signer-host"))
    yield target
    target.uninstall()


@pytest.fixture(scope="module")
def nexts(next_bundle, tmp_path_factory):
    """hello 1.1.0 signed by A, by B, and unsigned."""
    return {name: signed_copy(next_bundle, tmp_path_factory.mktemp(f"next-{name}"), key)
            for name, key in (("a", A), ("b", B), ("unsigned", None))}


def test_the_install_pins_the_key_that_signed_its_bundle(installed):
    pinned = json.loads((installed.state / "vendor-key.json").read_text())
    assert (pinned["key_id"], pinned["source"]) == (A_ID, "hello 1.0.0")
    events = (installed.state / "events.jsonl").read_text()
    assert f"This site now trusts vendor key {A_ID}" in events


def test_another_signer_is_refused(installed, nexts):
    result = upgrade(installed, nexts["b"], "--dry-run")
    assert result.returncode == 2, result.stdout + result.stderr
    assert (f"This bundle of hello 1.1.0 is signed by key {B_ID}, but this site trusts only key {A_ID} "
            "(pinned by hello 1.0.0)") in said(result)
    assert "--allow-other-signer" in said(result) and "Verifying" not in said(result)


def test_an_unsigned_bundle_is_refused(installed, nexts):
    result = upgrade(installed, nexts["unsigned"], "--dry-run")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "This bundle of hello 1.1.0 is not signed, but this site trusts only bundles signed by key" in said(result)


def test_the_operator_may_accept_another_signer_explicitly(installed, nexts):
    result = upgrade(installed, nexts["b"], "--dry-run", "--allow-other-signer")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Signed by key {B_ID}, not by key {A_ID} that this site trusts" in said(result)
    assert f"Warning: The operator accepted a bundle signed by key {B_ID} in place of key {A_ID}" in said(result)
    assert "Dry run: nothing was changed." in said(result)
    assert json.loads((installed.state / "vendor-key.json").read_text())["key_id"] == A_ID


def test_the_pinned_signer_is_taken(installed, nexts):
    result = upgrade(installed, nexts["a"], "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Signed by key {A_ID}, the vendor key this site trusts" in said(result)
