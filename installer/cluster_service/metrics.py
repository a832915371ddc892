"""The cluster service's own metrics, for the first master's Prometheus: the nodes and whether
Kubernetes has them Ready, the day-2 operations by kind and state, the install's host check
results, when each certificate of the install expires, and the application's status hook's last
run (the alert rules read these).

Everything is read from the state directory (and k3s) at each scrape: the service holds no
counters of its own, so a restarted service reports the same. Served on the agent port at
GET /metrics with the token Prometheus holds (<state>/monitoring/prometheus/metrics-token).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from cryptography import x509
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from installer.bearer import bearer_matches
from installer.cluster_service.operations import Operations
from installer.host import Host
from installer.monitoring.paths import MonitoringPaths
from installer.runtime import K3sRuntime
from installer.services import ServiceManager
from installer.statedir import StateDir
from installer.status.status_hook import hook_metric


def certificates(state_dir: Path) -> dict[str, Path]:
    """Name -> file of every certificate the install made and serves."""
    paths, monitoring = StateDir(state_dir), MonitoringPaths.of(state_dir)
    found = {"installer": paths.tls_cert, "install-ca": paths.tls_ca_cert,
             "registry": paths.registry / "tls" / "registry.crt", "exporter": monitoring.exporter_cert}
    nodes = monitoring.node_cert("x").parent
    if nodes.is_dir():
        found.update({f"exporter-{p.stem}": p for p in sorted(nodes.glob("*.crt"))})
    return found


def _expiry(path: Path) -> float | None:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes()).not_valid_after_utc.timestamp()
    except (OSError, ValueError):
        return None


def check_counts(events: Path) -> Counter[str]:
    """How many host checks of the install ended in each status (pass, warn, fail, skipped)."""
    counts: Counter[str] = Counter()
    try:
        with events.open(encoding="utf-8") as f:
            for line in f:
                if '"check"' in line:
                    event = json.loads(line)
                    if event.get("kind") == "check":
                        counts[str(event.get("status"))] += 1
    except (OSError, ValueError):
        pass
    return counts


def status_hook_metrics(record: Path, now: float) -> Iterator[GaugeMetricFamily]:
    """The status hook's last run: whether it succeeded, how long ago it ended and how long it
    took. No samples without a status hook or before its first run, so nothing alerts on a hook
    that has not had its chance."""
    ok = GaugeMetricFamily("airlift_status_hook_ok", "1 when the application's status hook succeeded its last run")
    age = GaugeMetricFamily("airlift_status_hook_last_run_age_seconds", "Seconds since the status hook's last run ended")
    took = GaugeMetricFamily("airlift_status_hook_duration_seconds", "How long the status hook's last run took")
    last = hook_metric(record, now)
    if last is not None and last["ok"] is not None:
        ok.add_metric([], 1.0 if last["ok"] else 0.0)
        age.add_metric([], last["age_s"])
        took.add_metric([], last["duration_s"])
    yield from (ok, age, took)


class ClusterCollector(Collector):
    def __init__(self, host: Host, services: ServiceManager, state_dir: Path) -> None:
        self.host, self.services, self.state_dir = host, services, Path(state_dir)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._nodes()
        operations = GaugeMetricFamily("airlift_operations", "Day-2 operations by kind and state",
                                       labels=["kind", "state"])
        states = Counter((op.kind, (plan.state if (plan := op.store.load()) else "unstarted"))
                         for op in Operations(self.state_dir, []).all())
        for (kind, state), n in sorted(states.items()):
            operations.add_metric([kind, state], n)
        yield operations
        checks = GaugeMetricFamily("airlift_check_results", "The install's host check results by status",
                                   labels=["status"])
        for status, n in sorted(check_counts(StateDir(self.state_dir).events).items()):
            checks.add_metric([status], n)
        yield checks
        expiry = GaugeMetricFamily("airlift_certificate_expiry_timestamp_seconds",
                                   "When each certificate of the install expires (unix time)", labels=["certificate"])
        for name, path in certificates(self.state_dir).items():
            if (when := _expiry(path)) is not None:
                expiry.add_metric([name], when)
        yield expiry
        yield from status_hook_metrics(StateDir(self.state_dir).status_hook, time.time())

    def _nodes(self) -> Iterator[GaugeMetricFamily]:
        status = K3sRuntime(self.host, self.services, self.state_dir).status()
        up = GaugeMetricFamily("airlift_runtime_up", "Whether k3s runs on the first master and answers kubectl")
        up.add_metric([], 1.0 if status["running"] and "error" not in status else 0.0)
        yield up
        ready = GaugeMetricFamily("airlift_node_ready", "Whether Kubernetes reports the node Ready", labels=["node"])
        for node in status.get("nodes", []):
            ready.add_metric([node["name"]], 1.0 if node["ready"] else 0.0)
        yield ready


class ClusterMetrics:
    """The /metrics answer, for the token's holder only."""

    def __init__(self, host: Host, services: ServiceManager, state_dir: Path) -> None:
        self.token_file = MonitoringPaths.of(state_dir).metrics_token
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(ClusterCollector(host, services, state_dir))

    def render(self, authorization: str | None) -> bytes | None:
        """The metrics in Prometheus's text format; None when `authorization` is not the token."""
        try:
            token = self.token_file.read_text().strip()
        except OSError:
            return None
        if not bearer_matches(token, authorization):
            return None
        return generate_latest(self.registry)
