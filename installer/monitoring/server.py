"""Prometheus and Alertmanager on the first master: installed from the bundle's binaries, set up
from the answers, started, told about nodes that come and go, and removed.

The exporters' targets and the mount points the disk alerts watch are kept in files under
`<state>/monitoring/prometheus/`; a change rewrites them and the rules, then asks Prometheus to
read its files again (its lifecycle API, on loopback only).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from pathlib import Path
from typing import BinaryIO

import requests

from installer.errors import AirliftError
from installer.host import Host
from installer.monitoring.config import alertmanager_config, prometheus_config, targets_file
from installer.monitoring.paths import MonitoringPaths
from installer.monitoring.rules import rules_file
from installer.monitoring.settings import MonitoringSettings
from installer.readfile import read_text
from installer.registry.credentials import Credentials
from installer.services import ServiceManager
from installer.services.names import ALERTMANAGER, PROMETHEUS
from installer.statedir import StateDir

PROMETHEUS_BINARY = "runtime/prometheus"
ALERTMANAGER_BINARY = "runtime/alertmanager"

# The nodes of one install are set up at once (`/monitoring/node-2` beside `/monitoring/node-3`),
# each reading the targets and adding itself: without this, one write could drop the other's node,
# which Prometheus would then never scrape nor alert on.
_CHANGING = threading.Lock()


class MonitoringServer:
    def __init__(self, host: Host, services: ServiceManager, state_dir: Path, settings: MonitoringSettings) -> None:
        self.host, self.services, self.settings = host, services, settings
        self.state = StateDir(state_dir)
        self.paths = MonitoringPaths.of(state_dir)

    def prometheus_argv(self) -> list[str]:
        p, s = self.paths, self.settings
        return [str(p.prometheus_binary), f"--config.file={p.prometheus_config}",
                f"--storage.tsdb.path={p.prometheus_data}", f"--storage.tsdb.retention.time={s.retention}",
                f"--storage.tsdb.retention.size={s.retention_size}",
                f"--web.listen-address=127.0.0.1:{s.prometheus_port}", "--web.enable-lifecycle"]

    def alertmanager_argv(self) -> list[str]:
        p = self.paths
        return [str(p.alertmanager_binary), f"--config.file={p.alertmanager_config}",
                f"--storage.path={p.alertmanager_data}",
                f"--web.listen-address=127.0.0.1:{self.settings.alertmanager_port}", "--cluster.listen-address="]

    def install(self, prometheus: BinaryIO, alertmanager: BinaryIO, credentials: Credentials) -> None:
        """Binaries, configs, the exporters' password and the metrics token, and both services.
        Running services are stopped when their config changed (they start again with it)."""
        p = self.paths
        before = [(read_text(f) or "") for f in (p.prometheus_config, p.alertmanager_config)]
        self.host.write_file(p.prometheus_binary, prometheus, mode=0o755)
        self.host.write_file(p.alertmanager_binary, alertmanager, mode=0o755)
        self.host.write_file(p.password_file, credentials.password, mode=0o600)
        if not p.metrics_token.is_file():
            self.host.write_file(p.metrics_token, secrets.token_urlsafe(32), mode=0o600)
        self.host.write_file(p.prometheus_config, prometheus_config(self.settings, p, self.state))
        self.host.write_file(p.alertmanager_config, alertmanager_config(self.settings))
        for folder in (p.prometheus_data, p.alertmanager_data):
            folder.mkdir(parents=True, exist_ok=True)
        self._write_watch_files(self.nodes(), self.watched())
        self.services.install(PROMETHEUS, self.prometheus_argv())
        self.services.install(ALERTMANAGER, self.alertmanager_argv())
        for name, old, new in zip((PROMETHEUS, ALERTMANAGER), before,
                                  ((read_text(p.prometheus_config) or ""), (read_text(p.alertmanager_config) or "")), strict=True):
            if old != new and self.services.is_running(name):
                self.services.stop(name)

    def start(self) -> None:
        self.services.start(ALERTMANAGER)
        self.services.start(PROMETHEUS)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until Prometheus answers its readiness endpoint; its log tail otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.answering():
                return
            time.sleep(0.5)
        raise AirliftError(f"Prometheus did not answer at {self.settings.prometheus_url} within {timeout:.0f}s",
                           details=self.services.log_tail(PROMETHEUS),
                           hint=f"read why in its log ({self.services.log_where(PROMETHEUS)}), check that port "
                                f"{self.settings.prometheus_port} (answer monitoring-port) is free, then "
                                "./install --resume")

    def answering(self) -> bool:
        try:
            return requests.get(f"{self.settings.prometheus_url}/-/ready", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    # --- nodes coming and going ----------------------------------------------------------

    def nodes(self) -> dict[str, str]:
        """Node name -> address of every exporter scraped."""
        try:
            groups = json.loads(self.paths.targets.read_text())
            return {g["labels"]["node"]: g["targets"][0].rsplit(":", 1)[0] for g in groups}
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            return {}

    def watched(self) -> dict[str, list[str]]:
        """Node name -> the mount points of its state and volume paths."""
        try:
            return {str(k): list(v) for k, v in json.loads(self.paths.watched.read_text()).items()}
        except (OSError, ValueError, AttributeError):
            return {}

    def add_node(self, node: str, address: str, mountpoints: list[str]) -> None:
        with _CHANGING:
            self._change({**self.nodes(), node: address}, {**self.watched(), node: mountpoints})

    def remove_node(self, node: str) -> None:
        with _CHANGING:
            nodes, watched = self.nodes(), self.watched()
            nodes.pop(node, None)
            watched.pop(node, None)
            self._change(nodes, watched)

    def _change(self, nodes: dict[str, str], watched: dict[str, list[str]]) -> None:
        self._write_watch_files(nodes, watched)
        if self.answering():
            try:
                requests.post(f"{self.settings.prometheus_url}/-/reload", timeout=10)
            except requests.RequestException:
                pass  # it reads the targets file again by itself; the rules wait for its next start

    def _write_watch_files(self, nodes: dict[str, str], watched: dict[str, list[str]]) -> None:
        p = self.paths
        self.host.write_file(p.targets, targets_file(nodes.items(), self.settings.exporter_port))
        self.host.write_file(p.watched, json.dumps(watched, indent=1, sort_keys=True))
        self.host.write_file(p.rules, rules_file(self.settings.alert_for, [m for ms in watched.values() for m in ms]))
