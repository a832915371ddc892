"""The installer's TLS certificate (wizard, agent API, blob tracker) and each node's own (its
blob server): self-signed, made at first start, kept in the state directory.

Reusing it across restarts keeps the fingerprint the operator already accepted; it is made
again only when it no longer names the listen address or is about to expire.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from installer.statedir import StateDir

VALID_DAYS = 825
RENEW_BEFORE = datetime.timedelta(days=30)


@dataclass(frozen=True)
class Certificate:
    cert_path: Path
    key_path: Path
    fingerprint: str  # SHA-256, colon-separated upper-case hex, as browsers show it


def ensure_certificate(state_dir: Path, address: str) -> Certificate:
    """Return the installer's certificate for `address`, making one if there is none that fits."""
    paths = StateDir(state_dir)
    return _ensure(paths.tls_cert, paths.tls_key, address, f"Airlift installer {address}")


def ensure_peer_certificate(state_dir: Path, address: str) -> Certificate:
    """A node's own certificate for its blob server (the installer's stays the installer's: a
    node holding it could pose as the installer to the other nodes)."""
    paths = StateDir(state_dir)
    return _ensure(paths.peer_cert, paths.peer_key, address, f"Airlift node {address}")


def _ensure(cert_path: Path, key_path: Path, address: str, common_name: str) -> Certificate:
    cert = _load(cert_path) if key_path.exists() else None
    if cert is None or not _fits(cert, address):
        cert_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        cert = _make(cert_path, key_path, address, common_name)
    return Certificate(cert_path, key_path, fingerprint(cert))


def saved_fingerprint(state_dir: Path) -> str | None:
    """The fingerprint of the certificate kept in `state_dir`, None when there is none (reads only)."""
    cert = _load(StateDir(state_dir).tls_cert)
    return fingerprint(cert) if cert is not None else None


def fingerprint(cert: x509.Certificate) -> str:
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))


def _load(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None


def _names(address: str) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName("localhost"),
                                     x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    try:
        ip = ipaddress.ip_address(address)
        if ip != ipaddress.ip_address("127.0.0.1"):
            names.append(x509.IPAddress(ip))
    except ValueError:
        if address and address != "localhost":
            names.append(x509.DNSName(address))
    return names


def _fits(cert: x509.Certificate, address: str) -> bool:
    if cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC) < RENEW_BEFORE:
        return False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    return all(name in san for name in _names(address))


def _make(cert_path: Path, key_path: Path, address: str, common_name: str) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName(_names(address)), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    _write(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()), 0o600)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
