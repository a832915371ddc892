"""The sealed registry's files: its config, its one user, and the install's CA that signs its
certificate (the wizard's self-signed certificate is left as it was)."""

import ipaddress
import json
import stat

import bcrypt
import yaml
from cryptography import x509

from installer.host import Host
from installer.registry.config import RegistryFiles, render_config
from installer.registry.credentials import (
    ensure_credentials,
    ensure_htpasswd,
    htpasswd_admits,
    load_credentials,
)
from installer.statedir import StateDir
from installer.tls import ensure_ca, ensure_certificate, ensure_signed_certificate


def _files(tmp_path):
    return RegistryFiles(storage=tmp_path / "storage", cert=tmp_path / "r.crt", key=tmp_path / "r.key",
                         htpasswd=tmp_path / "htpasswd")


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_config_is_read_only_https_and_htpasswd_with_no_cache(tmp_path):
    files = _files(tmp_path)
    config = yaml.safe_load(render_config(files, "10.0.0.5", 5123))
    assert config["storage"]["filesystem"]["rootdirectory"] == str(files.storage)
    assert config["storage"]["maintenance"]["readonly"] == {"enabled": True}
    assert config["storage"]["delete"] == {"enabled": False}
    assert "cache" not in config["storage"]
    assert config["http"]["addr"] == "10.0.0.5:5123"
    assert config["http"]["tls"] == {"certificate": str(files.cert), "key": str(files.key)}
    assert config["auth"]["htpasswd"]["path"] == str(files.htpasswd)


def test_credentials_are_made_once_kept_0600_and_hashed_with_bcrypt(tmp_path):
    host, path = Host(tmp_path / "root"), StateDir(tmp_path).registry_credentials
    made = ensure_credentials(host, path)
    assert _mode(path) == 0o600 and len(made.password) >= 24
    assert ensure_credentials(host, path) == made == load_credentials(path)
    assert made.password not in repr(made)
    htpasswd = tmp_path / "htpasswd"
    ensure_htpasswd(host, htpasswd, made)
    user, hashed = htpasswd.read_text().strip().split(":", 1)
    assert user == made.username and hashed.startswith("$2") and _mode(htpasswd) == 0o600
    assert bcrypt.checkpw(made.password.encode(), hashed.encode())
    before = htpasswd.read_text()
    ensure_htpasswd(host, htpasswd, made)
    assert htpasswd.read_text() == before, "an htpasswd that admits the user is left alone"
    assert not htpasswd_admits(before, type(made)(made.username, "other"))


def test_broken_credentials_read_as_none(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"username": "airlift"}))
    assert load_credentials(path) is None and load_credentials(tmp_path / "none") is None


def test_the_ca_signs_a_registry_certificate_naming_the_address_and_loopback(tmp_path):
    ca = ensure_ca(tmp_path)
    ca_cert = x509.load_pem_x509_certificate(ca.cert_path.read_bytes())
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert _mode(ca.key_path) == 0o600 and ca.pem.startswith("-----BEGIN CERTIFICATE-----")
    made = ensure_signed_certificate(ca, tmp_path / "r.crt", tmp_path / "r.key", "10.0.0.5")
    cert = x509.load_pem_x509_certificate(made.cert_path.read_bytes())
    cert.verify_directly_issued_by(ca_cert)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.IPAddress)) == {ipaddress.ip_address("10.0.0.5"),
                                                           ipaddress.ip_address("127.0.0.1")}
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert _mode(made.key_path) == 0o600


def test_kept_ca_and_certificate_are_reused_and_a_new_address_gets_a_new_certificate(tmp_path):
    ca = ensure_ca(tmp_path)
    first = ensure_signed_certificate(ca, tmp_path / "r.crt", tmp_path / "r.key", "10.0.0.5")
    assert ensure_ca(tmp_path).pem == ca.pem
    assert ensure_signed_certificate(ca, first.cert_path, first.key_path, "10.0.0.5") == first
    moved = ensure_signed_certificate(ca, first.cert_path, first.key_path, "10.0.0.9")
    assert moved.fingerprint != first.fingerprint


def test_a_certificate_from_another_ca_is_made_again(tmp_path):
    other = ensure_ca(tmp_path / "other")
    foreign = ensure_signed_certificate(other, tmp_path / "r.crt", tmp_path / "r.key", "10.0.0.5")
    ours = ensure_signed_certificate(ensure_ca(tmp_path), foreign.cert_path, foreign.key_path, "10.0.0.5")
    assert ours.fingerprint != foreign.fingerprint


def test_the_wizard_certificate_stays_self_signed_and_keeps_its_fingerprint(tmp_path):
    wizard = ensure_certificate(tmp_path, "10.0.0.5")
    ensure_ca(tmp_path)
    assert ensure_certificate(tmp_path, "10.0.0.5") == wizard
    cert = x509.load_pem_x509_certificate(wizard.cert_path.read_bytes())
    assert cert.issuer == cert.subject
