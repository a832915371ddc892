"""Host key trust on first use: recorded once, matched after, a changed key refused."""

from __future__ import annotations

import base64
from pathlib import Path

import paramiko
import pytest

from installer.errors import AirliftError
from installer.ssh.known_hosts import HostKeyChanged, KnownHosts, fingerprint, host_entry
from installer.ssh.session import load_key

# A public key and the fingerprint `ssh-keygen -lf` prints for it.
VECTOR = "AAAAC3NzaC1lZDI1NTE5AAAAIIoWY1+Pn0hFt7+VO6Wj5tZzqOXt/iMis0sCgzrcXGcS"
VECTOR_FP = "SHA256:hqc9ZVDcJs8dYvO49n19gGBUS0sDePuUjiYKEk8ktFU"


def test_fingerprint_matches_openssh() -> None:
    key = paramiko.PKey.from_type_string("ssh-ed25519", base64.b64decode(VECTOR))
    assert fingerprint(key) == VECTOR_FP


def test_known_hosts_names_like_openssh() -> None:
    assert host_entry("10.0.0.5", 22) == "10.0.0.5"
    assert host_entry("10.0.0.5", 2222) == "[10.0.0.5]:2222"


def test_first_use_is_recorded_then_matched(tmp_path: Path) -> None:
    known = KnownHosts(tmp_path / "state" / "known_hosts")
    key = paramiko.ECDSAKey.generate()
    assert known.check("10.0.0.5", 22, key) is True
    assert known.check("10.0.0.5", 22, key) is False
    assert known.fingerprints("10.0.0.5", 22) == [fingerprint(key)]
    assert (known.path.stat().st_mode & 0o777) == 0o600
    assert known.path.read_text().startswith("10.0.0.5 ecdsa-sha2-nistp256 ")


def test_changed_key_is_refused_and_the_record_kept(tmp_path: Path) -> None:
    known = KnownHosts(tmp_path / "known_hosts")
    old, new = paramiko.ECDSAKey.generate(), paramiko.ECDSAKey.generate()
    known.check("node-2.lan", 2222, old)
    with pytest.raises(HostKeyChanged) as err:
        known.check("node-2.lan", 2222, new)
    text = err.value.render()
    assert "[node-2.lan]:2222" in text and fingerprint(old) in text and fingerprint(new) in text
    assert "ssh-keygen -R" in text
    assert known.fingerprints("node-2.lan", 2222) == [fingerprint(old)]


def test_hosts_and_ports_are_separate_records(tmp_path: Path) -> None:
    known = KnownHosts(tmp_path / "known_hosts")
    a, b = paramiko.ECDSAKey.generate(), paramiko.ECDSAKey.generate()
    assert known.check("10.0.0.5", 22, a) and known.check("10.0.0.5", 2222, b) and known.check("10.0.0.6", 22, b)
    assert known.check("10.0.0.5", 22, a) is False


def test_unreadable_keys_are_explained(tmp_path: Path) -> None:
    with pytest.raises(AirliftError, match="does not exist"):
        load_key(tmp_path / "missing", None)
    junk = tmp_path / "junk"
    junk.write_text("not a key")
    with pytest.raises(AirliftError, match="Cannot read SSH key"):
        load_key(junk, None)


def test_status_does_not_record(tmp_path: Path) -> None:
    known = KnownHosts(tmp_path / "known_hosts")
    key, other = paramiko.ECDSAKey.generate(), paramiko.ECDSAKey.generate()
    assert known.shown("10.0.0.5", 22, key) is True
    assert not known.path.exists()
    known.check("10.0.0.5", 22, key)
    assert known.shown("10.0.0.5", 22, key) is False
    with pytest.raises(HostKeyChanged, match="has CHANGED"):
        known.shown("10.0.0.5", 22, other)
    assert known.fingerprints("10.0.0.5", 22) == [fingerprint(key)], "showing records nothing"
