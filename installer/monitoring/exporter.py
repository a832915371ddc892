"""node_exporter on a node: the bundle's binary as the `airlift-node-exporter` service, serving
TLS with a certificate from the install's CA and admitting one user (bcrypt in its web config,
as the registry's htpasswd), since it listens on the node's address for the first master."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import bcrypt
import yaml

from installer.host import Host
from installer.monitoring.paths import MonitoringPaths
from installer.ports import EXPORTER_PORT
from installer.readfile import read_text
from installer.registry.credentials import Credentials
from installer.services import ServiceManager
from installer.services.names import EXPORTER

BUNDLE_PATH = "runtime/node-exporter"


@dataclass(frozen=True)
class ExporterTLS:
    """The exporter's certificate and key (PEM), as the first master signed them."""

    cert: str
    key: str = field(repr=False)


def web_config(paths: MonitoringPaths, credentials: Credentials) -> str:
    """exporter-toolkit's web config: TLS from the install's CA, one bcrypt-hashed user."""
    hashed = bcrypt.hashpw(credentials.password.encode(), bcrypt.gensalt()).decode()
    return yaml.safe_dump({
        "tls_server_config": {"cert_file": str(paths.exporter_cert), "key_file": str(paths.exporter_key),
                              "min_version": "TLS12"},
        "basic_auth_users": {credentials.username: hashed},
    }, sort_keys=False)


def admits(text: str, credentials: Credentials) -> bool:
    """Whether a web config already admits `credentials` (so a second run keeps it as it is)."""
    try:
        hashed = (yaml.safe_load(text) or {}).get("basic_auth_users", {}).get(credentials.username)
        return bool(hashed) and bcrypt.checkpw(credentials.password.encode(), str(hashed).encode())
    except (yaml.YAMLError, AttributeError, ValueError):
        return False


class NodeExporter:
    """Install, start and remove this node's exporter."""

    def __init__(self, host: Host, services: ServiceManager, state_dir: Path, address: str,
                 port: int = EXPORTER_PORT) -> None:
        self.host, self.services = host, services
        self.paths = MonitoringPaths.of(state_dir)
        self.address, self.port = address, port

    def argv(self) -> list[str]:
        return [str(self.paths.exporter_binary), f"--web.listen-address={self.address}:{self.port}",
                f"--web.config.file={self.paths.exporter_web_config}"]

    def install(self, binary: BinaryIO, tls: ExporterTLS, credentials: Credentials) -> None:
        """Binary, certificate, web config and service; a running exporter whose certificate or
        users changed is stopped, since it reads them at start."""
        paths = self.paths
        before = [(read_text(p) or "") for p in (paths.exporter_cert, paths.exporter_web_config)]
        self.host.write_file(paths.exporter_binary, binary, mode=0o755)
        self.host.write_file(paths.exporter_cert, tls.cert)
        self.host.write_file(paths.exporter_key, tls.key, mode=0o600)
        if not admits((read_text(paths.exporter_web_config) or ""), credentials):
            self.host.write_file(paths.exporter_web_config, web_config(paths, credentials), mode=0o600)
        self.services.install(EXPORTER, self.argv())
        changed = before != [(read_text(p) or "") for p in (paths.exporter_cert, paths.exporter_web_config)]
        if changed and self.services.is_running(EXPORTER):
            self.services.stop(EXPORTER)

    def start(self) -> None:
        self.services.start(EXPORTER)
