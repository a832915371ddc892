"""The install's TLS material, kept in the state directory.

- The installer's certificate (wizard, agent API, blob tracker) and each node's own (its blob
  server): self-signed, made at first start. Reusing one across restarts keeps the fingerprint
  already accepted or pinned; it is made again only when it no longer names the listen address or
  is about to expire.
- The install's own CA, and the server certificates it signs (the registry's): every node trusts
  the CA file it is given, as containerd needs a CA rather than a pinned fingerprint.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from installer.errors import AirliftError
from installer.host import Host
from installer.statedir import StateDir

VALID_DAYS = 825
CA_VALID_DAYS = 3650
RENEW_BEFORE = datetime.timedelta(days=30)


@dataclass(frozen=True)
class Certificate:
    cert_path: Path
    key_path: Path
    fingerprint: str  # SHA-256, colon-separated upper-case hex, as browsers show it


def ensure_certificate(state_dir: Path, address: str) -> Certificate:
    """Return the installer's certificate for `address`, making one if there is none that fits."""
    paths = StateDir(state_dir)
    return ensure_self_signed(paths.tls_cert, paths.tls_key, address, f"Airlift installer {address}")


def ensure_peer_certificate(state_dir: Path, address: str) -> Certificate:
    """A node's own certificate for its blob server (the installer's stays the installer's: a
    node holding it could pose as the installer to the other nodes)."""
    paths = StateDir(state_dir)
    return ensure_self_signed(paths.peer_cert, paths.peer_key, address, f"Airlift node {address}")


def ensure_self_signed(cert_path: Path, key_path: Path, address: str, common_name: str) -> Certificate:
    """A self-signed certificate for `address` at these paths, kept while it still fits (the hub's
    too, so its fingerprint stays the one its publishers pinned)."""
    cert = _load(cert_path) if key_path.exists() else None
    if cert is None or not _fits(cert, address):
        cert_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        cert = _make(cert_path, key_path, address, common_name)
    return Certificate(cert_path, key_path, fingerprint(cert))


@dataclass(frozen=True)
class InstallCA:
    cert_path: Path
    key_path: Path

    @property
    def pem(self) -> str:
        """The CA certificate, as the nodes are given it."""
        return self.cert_path.read_text()


def ensure_ca(state_dir: Path) -> InstallCA:
    """The install's CA, made at first use and kept (its key 0600) for the life of the install."""
    paths = StateDir(state_dir)
    ca = InstallCA(paths.tls_ca_cert, paths.tls_ca_key)
    try:
        cert, _ = _ca_pair(ca)
        fresh = cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC) >= RENEW_BEFORE
    except AirliftError:
        fresh = False
    if not fresh:
        paths.tls.mkdir(parents=True, exist_ok=True)
        _make_ca(ca)
    return ca


def ensure_signed_certificate(ca: InstallCA, cert_path: Path, key_path: Path, address: str,
                              what: str = "registry") -> Certificate:
    """A server certificate signed by `ca` for `address`, localhost and 127.0.0.1; kept while it
    still names them, is signed by this CA and is not about to expire. `what` names its server."""
    ca_cert, ca_key = _ca_pair(ca)
    cert = _load(cert_path) if key_path.exists() else None
    if cert is None or not _fits(cert, address) or not _signed_by(cert, ca_cert):
        cert_path.parent.mkdir(parents=True, exist_ok=True)
        cert = _make(cert_path, key_path, address, f"Airlift {what} {address}", (ca_cert.subject, ca_key))
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


def _signed_by(cert: x509.Certificate, ca_cert: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


Issuer = tuple[x509.Name, ec.EllipticCurvePrivateKey]


def _ca_pair(ca: InstallCA) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    ca_cert = _load(ca.cert_path)
    try:
        key = serialization.load_pem_private_key(ca.key_path.read_bytes(), password=None)
    except (OSError, ValueError):
        key = None
    if ca_cert is None or not isinstance(key, ec.EllipticCurvePrivateKey):
        raise AirliftError(f"The install's CA ({ca.cert_path}, {ca.key_path}) cannot be read",
                           hint="check the disk of the state directory, then run ./install --resume: "
                                "the failed phase makes the CA again")
    return ca_cert, key


def _builder(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey,
             days: int) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days)))


def _make(cert_path: Path, key_path: Path, address: str, common_name: str,
          issuer: Issuer | None = None) -> x509.Certificate:
    """A server certificate for `address`: self-signed, or signed by `issuer` (the install's CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer_name, signer = issuer or (name, key)
    builder = (_builder(name, issuer_name, key.public_key(), VALID_DAYS)
               .add_extension(x509.SubjectAlternativeName(_names(address)), critical=False)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
    if issuer is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                                        critical=False)
    cert = builder.sign(signer, hashes.SHA256())
    _write_pair(cert_path, key_path, cert, key)
    return cert


def _make_ca(ca: InstallCA) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                         f"Airlift install CA {datetime.date.today().isoformat()}")])
    usage = x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False)
    cert = (_builder(name, name, key.public_key(), CA_VALID_DAYS)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write_pair(ca.cert_path, ca.key_path, cert, key)


def _write_pair(cert_path: Path, key_path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    host = Host()
    host.write_file(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()), mode=0o600)
    host.write_file(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
