"""A vendor key from `build.py keygen`, hello built with `--sign` (full and differential), and the
bundle's own `./install verify`: it names the signing key, says "not signed" for an unsigned
bundle, and fails on a changed index, a signature under another key's name, or garbage."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from installer.bundle import Bundle, safe_extract
from installer.bundle.signature import SIGNATURE_NAME, load_private_key, public_key_of
from tests.fixtures.build_fixtures import HELLO, make_hello_images, run_build

pytestmark = pytest.mark.integration


def _build(out: Path, k3s: Path, *extra: str | Path) -> str:
    result = run_build(HELLO / "app.yaml", "-o", out, "--k3s", k3s, "--no-k3s-images",
                       "--source", f"oci:{make_hello_images()}", *extra)
    assert result.returncode == 0, result.stderr
    return result.stderr


@pytest.fixture(scope="module")
def signed(tmp_path_factory, frozen_k3s_standin, hello_bundle_tar):
    """The vendor key, and hello signed with it: full (unpacked) and differential against the
    session's unsigned hello 1.0.0."""
    tmp = tmp_path_factory.mktemp("signed")
    keygen = run_build("keygen", "-o", tmp / "vendor.key")
    assert keygen.returncode == 0, keygen.stderr
    key_id = re.search(r"Key id:\s+(SHA256:\S+)", keygen.stdout).group(1)
    summary = _build(tmp / "hello.tar", frozen_k3s_standin, "--sign", tmp / "vendor.key", "-q")
    diff_summary = _build(tmp / "hello-diff.tar", frozen_k3s_standin, "--sign", tmp / "vendor.key",
                          "--since", hello_bundle_tar, "--version", "1.0.1")
    safe_extract(tmp / "hello.tar", tmp / "full")
    safe_extract(tmp / "hello-diff.tar", tmp / "diff")
    return {"key": tmp / "vendor.key", "key_id": key_id, "tar": tmp / "hello.tar", "dir": tmp / "full" / "hello-1.0.0",
            "diff": tmp / "diff" / "hello-1.0.1", "summary": summary, "diff_summary": diff_summary}


def verify(bundle: Path) -> subprocess.CompletedProcess[str]:
    """The bundle's own (frozen) installer, as the operator runs it."""
    return subprocess.run([str(bundle / "install"), "verify"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200"})


def test_keygen_makes_the_key_the_bundle_names(signed):
    assert public_key_of(load_private_key(signed["key"])).key_id == signed["key_id"]
    assert oct(signed["key"].stat().st_mode & 0o777) == "0o600"
    with tarfile.open(signed["tar"]) as tar:
        assert tar.getnames()[-2:] == ["hello-1.0.0/index.json", f"hello-1.0.0/{SIGNATURE_NAME}"]
    doc = json.loads((signed["dir"] / SIGNATURE_NAME).read_text())
    assert (doc["format"], doc["algorithm"], doc["key_id"]) == (1, "ed25519", signed["key_id"])
    assert f"signed by       {signed['key_id']}" in signed["diff_summary"]


def test_verify_names_the_signing_key(signed):
    result = verify(signed["dir"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"signed by key {signed['key_id']}" in result.stdout


def test_a_differential_bundle_is_signed_too(signed):
    assert Bundle.open(signed["diff"]).is_differential
    result = verify(signed["diff"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"signed by key {signed['key_id']}" in result.stdout


def test_an_unsigned_bundle_verifies_as_not_signed(hello_bundle_dir):
    result = verify(hello_bundle_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not signed" in result.stdout


def _other_key_doc(path: Path) -> None:
    other = public_key_of(Ed25519PrivateKey.generate())
    doc = json.loads(path.read_text()) | {"public_key": other.public_key_b64, "key_id": other.key_id}
    path.write_text(json.dumps(doc))


DAMAGE = {
    "index": ("index.json", lambda p: p.write_text(p.read_text().replace('"name": "hello"', '"name":  "hello"')),
              "does not match index.json"),
    "other-key": (SIGNATURE_NAME, _other_key_doc, "does not match index.json"),
    "garbage": (SIGNATURE_NAME, lambda p: p.write_bytes(os.urandom(100)), "cannot be read: it is not JSON"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_tampered_copy_fails_verification(signed, tmp_path, damage):
    name, change, message = DAMAGE[damage]
    copy = tmp_path / "hello-1.0.0"
    shutil.copytree(signed["dir"], copy, copy_function=os.link)  # hard links: only the changed file is new
    target = copy / name
    data = target.read_bytes()
    target.unlink()
    target.write_bytes(data)
    change(target)
    result = verify(copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "The bundle failed verification" in result.stdout and message in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_bad_key_file_fails_the_build_at_once_naming_it(tmp_path):
    key = tmp_path / "not-a-key.pem"
    key.write_text("hello")
    result = run_build(HELLO / "app.yaml", "-o", tmp_path / "x.tar", "--sign", key, "--k3s", "/nonexistent")
    assert result.returncode == 2
    assert f"{key} is not an Ed25519 private key" in result.stderr and "build.py keygen" in result.stderr
    assert not (tmp_path / "x.tar").exists()
