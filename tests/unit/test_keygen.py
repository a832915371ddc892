"""`python build.py keygen`: a new Ed25519 key pair, the private half 0600, the public half beside
it, the key id printed; an existing key is never overwritten."""

from __future__ import annotations

import stat

from airlift_build.cli import main
from airlift_build.keygen import DEFAULT_NAME
from cryptography.hazmat.primitives import serialization

from installer.bundle.signature import VendorKey, load_private_key, public_key_of


def test_keygen_writes_a_pair_and_prints_its_key_id(tmp_path, capsys):
    key = tmp_path / "vendor.key"
    assert main(["keygen", "--out", str(key)]) == 0
    out = capsys.readouterr().out
    private = load_private_key(key)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    public = serialization.load_pem_public_key((tmp_path / "vendor.key.pub").read_bytes())
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert VendorKey(raw) == public_key_of(private)
    assert f"Key id:      {VendorKey(raw).key_id}" in out and f"--sign {key}" in out


def test_keygen_into_a_folder_uses_the_default_name(tmp_path, capsys):
    assert main(["keygen", "-o", str(tmp_path)]) == 0
    assert (tmp_path / DEFAULT_NAME).is_file() and (tmp_path / f"{DEFAULT_NAME}.pub").is_file()


def test_keygen_never_overwrites_a_key(tmp_path, capsys):
    key = tmp_path / "vendor.key"
    assert main(["keygen", "-o", str(key)]) == 0
    before = key.read_bytes()
    capsys.readouterr()
    assert main(["keygen", "-o", str(key)]) == 2
    err = capsys.readouterr().err
    assert f"{key} and {key}.pub already exist" in err and "never overwritten" in err
    assert key.read_bytes() == before
    (tmp_path / "lone.key.pub").write_text("left over")
    assert main(["keygen", "-o", str(tmp_path / "lone.key")]) == 2
    assert not (tmp_path / "lone.key").exists()
