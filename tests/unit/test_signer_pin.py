"""The vendor key a site pins (installer/signer_pin.py): the rule for every pinned/signer pair, the
pin file, the pin at install, the upgrade's refusal of another signer or an unsigned bundle, and
`./install upgrade --allow-other-signer` logged in the operation's events and pinning the new key."""

from __future__ import annotations

import json
import sys
import types

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from installer import cli
from installer.bundle import Bundle
from installer.bundle.signature import SIGNATURE_NAME, SignatureError, public_key_of, sign_index
from installer.cli import commands
from installer.errors import AirliftError
from installer.events import EventLog
from installer.signer_pin import (
    PinnedKey,
    SignerCheck,
    load_pin,
    pin_at_install,
    save_pin,
)
from installer.statedir import StateDir
from installer.upgrade.installed import find_installed
from installer.upgrade.refusals import check_upgrade
from tests.unit.upgrade_cases import V1, V2, install_state, make_bundle

A_KEY = Ed25519PrivateKey.from_private_bytes(b"a" * 32)
B_KEY = Ed25519PrivateKey.from_private_bytes(b"b" * 32)
A, B = public_key_of(A_KEY), public_key_of(B_KEY)
PIN_A = PinnedKey(A, "hello 1.0.0")

# (pinned, signer) -> trusted, the key pinned after the install, what the operator reads, the refusal
RULES = [
    (None, None, True, None, "Not signed; this site trusts no vendor key yet", None),
    (None, A, True, A, f"Signed by key {A.key_id}; this site trusts no vendor key yet and will trust this one", None),
    (PIN_A, A, True, None, f"Signed by key {A.key_id}, the vendor key this site trusts", None),
    (PIN_A, B, False, B, f"Signed by key {B.key_id}, not by key {A.key_id} that this site trusts",
     f"This bundle of hello 1.1.0 is signed by key {B.key_id}, but this site trusts only key {A.key_id} "
     "(pinned by hello 1.0.0)"),
    (PIN_A, None, False, None, f"Not signed, but this site trusts only bundles signed by key {A.key_id}",
     f"This bundle of hello 1.1.0 is not signed, but this site trusts only bundles signed by key {A.key_id} "
     "(pinned by hello 1.0.0)"),
]


@pytest.mark.parametrize(("pinned", "signer", "trusted", "new_pin", "describe", "refusal"), RULES,
                         ids=["unpinned-unsigned", "unpinned-signed", "same", "other", "pinned-unsigned"])
def test_the_rule(pinned, signer, trusted, new_pin, describe, refusal):
    check = SignerCheck(pinned, signer)
    assert (check.trusted, check.new_pin) == (trusted, new_pin)
    assert check.describe().startswith(describe)
    refused = check.refusal("hello 1.1.0")
    assert (refused.message if refused else None) == refusal
    if refused:
        assert "--allow-other-signer" in refused.hint and "--allow-other-signer" in check.override_note()


def test_the_pin_file_round_trips_and_names_itself_when_damaged(tmp_path):
    assert load_pin(tmp_path) is None
    save_pin(tmp_path, PIN_A)
    path = StateDir(tmp_path).vendor_key
    assert load_pin(tmp_path) == PIN_A
    doc = json.loads(path.read_text())
    assert (doc["key_id"], doc["public_key"], doc["algorithm"]) == (A.key_id, A.public_key_b64, "ed25519")
    path.write_text(json.dumps(doc | {"key_id": B.key_id}))
    with pytest.raises(AirliftError, match=f"cannot be read from {path}"):
        load_pin(tmp_path)
    path.write_text("{")
    with pytest.raises(AirliftError) as damaged:
        load_pin(tmp_path)
    assert f"restore {path} from a backup" in damaged.value.hint


def signed(bundle: Bundle, key: Ed25519PrivateKey) -> Bundle:
    (bundle.root / SIGNATURE_NAME).write_bytes(sign_index((bundle.root / "index.json").read_bytes(), key).to_json())
    return bundle


def test_the_install_pins_a_signed_bundles_key_and_keeps_an_existing_pin(tmp_path):
    bundle = signed(make_bundle(tmp_path / "v1", V1), A_KEY)
    assert pin_at_install(bundle, tmp_path / "state").startswith(f"This site now trusts vendor key {A.key_id}")
    assert load_pin(tmp_path / "state") == PinnedKey(A, "hello 1.0.0")
    other = signed(make_bundle(tmp_path / "other", V1), B_KEY)
    assert pin_at_install(other, tmp_path / "state").startswith(f"Signed by key {B.key_id}, not by key {A.key_id}")
    assert load_pin(tmp_path / "state").key == A


def test_an_unsigned_install_pins_nothing(tmp_path):
    assert pin_at_install(make_bundle(tmp_path / "v1", V1), tmp_path / "state") == \
        "Not signed; this site trusts no vendor key yet"
    assert not StateDir(tmp_path / "state").vendor_key.exists()


@pytest.fixture
def site(tmp_path):
    """hello 1.0.0 installed, its key A pinned; hello 1.1.0 unpacked, unsigned."""
    v1 = make_bundle(tmp_path / "hello-1.0.0", V1)
    paths = install_state(tmp_path / "state", v1)
    save_pin(paths.root, PIN_A)
    return paths, make_bundle(tmp_path / "hello-1.1.0", V2)


@pytest.mark.parametrize("key", [B_KEY, None], ids=["other-key", "unsigned"])
def test_the_upgrade_refuses_another_signer_unless_allowed(site, key):
    paths, new = site
    if key:
        signed(new, key)
    with pytest.raises(AirliftError, match="but this site trusts only") as refused:
        check_upgrade(new, find_installed(paths.root))
    assert refused.value.exit_code == 2
    check_upgrade(new, find_installed(paths.root), allow_other_signer=True)


def test_the_upgrade_takes_the_pinned_signer_and_a_first_signer(site):
    paths, new = site
    check_upgrade(signed(new, A_KEY), find_installed(paths.root))
    paths.vendor_key.unlink()
    check_upgrade(signed(new, B_KEY), find_installed(paths.root))


def test_a_signature_that_does_not_match_is_refused_even_when_allowed(site):
    paths, new = site
    signed(new, A_KEY)
    (new.root / "index.json").write_bytes((new.root / "index.json").read_bytes() + b"\n")
    with pytest.raises(SignatureError, match="does not match index.json"):
        check_upgrade(Bundle.open(new.root), find_installed(paths.root), allow_other_signer=True)


@pytest.fixture
def engine(monkeypatch, site):
    """The operation engine stand-in: attaches the operation's event log, as installer.upgrade.run does."""
    paths, new = site
    log = paths.root / "operation-events.jsonl"
    module = types.ModuleType("installer.upgrade.run")
    module.upgrade = lambda bundle_dir, state, root, bus, diff: bus.attach_log(EventLog(log))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "installer.upgrade.run", module)
    monkeypatch.setenv("AIRLIFT_BUNDLE_DIR", str(new.root))
    monkeypatch.setattr(commands.os, "geteuid", lambda: 0)
    monkeypatch.setenv("COLUMNS", "300")
    return log


def upgrade(paths: StateDir, *flags: str) -> int:
    return cli.main(["upgrade", *flags, "--state-dir", str(paths.root), "--root", str(paths.root.parent / "root")])


def test_allow_other_signer_is_printed_logged_and_pins_the_new_key(site, engine, capsys):
    paths, new = site
    signed(new, B_KEY)
    assert upgrade(paths, "--yes") == 2
    assert "but this site trusts only key" in capsys.readouterr().out
    assert upgrade(paths, "--yes", "--allow-other-signer") == 0
    out = capsys.readouterr().out
    assert f"The operator accepted a bundle signed by key {B.key_id} in place of key {A.key_id}" in out
    assert f"This site now trusts vendor key {B.key_id}" in out
    events = [json.loads(line) for line in engine.read_text().splitlines()]
    assert [e["status"] for e in events if "--allow-other-signer" in e["message"]] == ["warn"]
    assert load_pin(paths.root) == PinnedKey(B, "hello 1.1.0")


def test_an_unsigned_site_takes_a_signed_upgrade_and_pins_its_key(site, engine, capsys):
    paths, new = site
    paths.vendor_key.unlink()
    signed(new, B_KEY)
    assert upgrade(paths, "--dry-run") == 0
    assert "this site trusts no vendor key yet and will trust this one" in capsys.readouterr().out
    assert not paths.vendor_key.exists(), "a dry run pins nothing"
    assert upgrade(paths, "--yes") == 0
    assert f"This site now trusts vendor key {B.key_id}" in capsys.readouterr().out
    assert load_pin(paths.root).key == B
