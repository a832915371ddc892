"""Where the monitoring programs keep their binaries, configs, certificates and data, under
`<state>/monitoring/` (StateDir.monitoring): named once here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from installer.statedir import StateDir


@dataclass(frozen=True)
class MonitoringPaths:
    root: Path

    @classmethod
    def of(cls, state_dir: Path) -> MonitoringPaths:
        return cls(StateDir(state_dir).monitoring)

    @property
    def exporter_binary(self) -> Path:
        return self.root / "exporter" / "node-exporter"

    @property
    def exporter_web_config(self) -> Path:
        """TLS and the bcrypt-hashed user (exporter-toolkit's --web.config.file)."""
        return self.root / "exporter" / "web.yml"

    @property
    def exporter_cert(self) -> Path:
        return self.root / "exporter" / "tls.crt"

    @property
    def exporter_key(self) -> Path:
        return self.root / "exporter" / "tls.key"

    def node_cert(self, node: str) -> Path:
        """Another node's exporter certificate, signed here (where the CA key is) and sent to it."""
        return self.root / "nodes" / f"{node}.crt"

    def node_key(self, node: str) -> Path:
        return self.root / "nodes" / f"{node}.key"

    @property
    def prometheus_binary(self) -> Path:
        return self.root / "prometheus" / "prometheus"

    @property
    def prometheus_config(self) -> Path:
        return self.root / "prometheus" / "prometheus.yml"

    @property
    def rules(self) -> Path:
        """The alert rules Airlift ships (rules.py)."""
        return self.root / "prometheus" / "rules.yml"

    @property
    def targets(self) -> Path:
        """Every node's exporter (file_sd): rewritten by expand and remove, read again by Prometheus."""
        return self.root / "prometheus" / "exporters.json"

    @property
    def watched(self) -> Path:
        """The mount points of the state and volume paths of every node, which the disk alerts watch."""
        return self.root / "prometheus" / "watched.json"

    @property
    def password_file(self) -> Path:
        """The exporters' password, for Prometheus (0600)."""
        return self.root / "prometheus" / "exporter-password"

    @property
    def metrics_token(self) -> Path:
        """The bearer token of the cluster service's /metrics (0600)."""
        return self.root / "prometheus" / "metrics-token"

    @property
    def prometheus_data(self) -> Path:
        return self.root / "prometheus" / "data"

    @property
    def alertmanager_binary(self) -> Path:
        return self.root / "alertmanager" / "alertmanager"

    @property
    def alertmanager_config(self) -> Path:
        return self.root / "alertmanager" / "alertmanager.yml"

    @property
    def alertmanager_data(self) -> Path:
        return self.root / "alertmanager" / "data"
