"""A node's exporter set up from the first master: the certificate it serves (signed here,
where the install's CA key is), and the one user Prometheus signs in as, shared by every node."""

from __future__ import annotations

from pathlib import Path

from installer.host import Host
from installer.monitoring.exporter import ExporterTLS
from installer.monitoring.paths import MonitoringPaths
from installer.registry.credentials import Credentials, ensure_credentials
from installer.statedir import StateDir
from installer.tls import ensure_ca, ensure_signed_certificate


def exporter_credentials(host: Host, state_dir: Path) -> Credentials:
    """The exporters' user, made once per install (0600) and kept."""
    return ensure_credentials(host, StateDir(state_dir).monitoring_credentials)


def exporter_tls(state_dir: Path, node: str, address: str) -> ExporterTLS:
    """The certificate of `node`'s exporter for `address`, signed by the install's CA (kept)."""
    paths = MonitoringPaths.of(state_dir)
    paths.node_cert(node).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    cert = ensure_signed_certificate(ensure_ca(state_dir), paths.node_cert(node), paths.node_key(node), address,
                                     "node exporter")
    return ExporterTLS(cert.cert_path.read_text(), cert.key_path.read_text())
