"""The configs of Prometheus and Alertmanager, and the file of scrape targets, as text.

Prometheus scrapes: every node's exporter over TLS (the install's CA) signed in with the
exporters' user (`node`, targets in a file that expand and remove rewrite and Prometheus reads
again by itself); the registry's debug listener on loopback (`registry`); the cluster service's
own metrics with a bearer token, trusting the installer's certificate it serves (`airlift-cluster`);
and itself. Alertmanager listens on loopback with its clustering off (one first master), and
delivers to the webhook and/or the mail address the answers give; with neither, alerts are still
shown by `./install status`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import yaml

from installer.monitoring.paths import MonitoringPaths
from installer.monitoring.settings import MonitoringSettings
from installer.registry.credentials import USERNAME
from installer.services.names import CONTROLLER
from installer.statedir import StateDir

SCRAPE_INTERVAL = "15s"


def prometheus_config(s: MonitoringSettings, paths: MonitoringPaths, state: StateDir) -> str:
    jobs = [
        {"job_name": "node", "scheme": "https",
         "basic_auth": {"username": USERNAME, "password_file": str(paths.password_file)},
         "tls_config": {"ca_file": str(state.tls_ca_cert)},
         "file_sd_configs": [{"files": [str(paths.targets)], "refresh_interval": "30s"}]},
        {"job_name": "registry", "static_configs": [{"targets": [f"127.0.0.1:{s.registry_metrics_port}"]}]},
        {"job_name": CONTROLLER, "scheme": "https",
         "authorization": {"credentials_file": str(paths.metrics_token)},
         "tls_config": {"ca_file": str(state.tls_cert)},
         "static_configs": [{"targets": [f"{s.address}:{s.agent_port}"]}]},
        {"job_name": "prometheus", "static_configs": [{"targets": [f"127.0.0.1:{s.prometheus_port}"]}]},
    ]
    config = {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{s.alertmanager_port}"]}]}]},
        "rule_files": [str(paths.rules)],
        "scrape_configs": jobs,
    }
    return yaml.safe_dump(config, sort_keys=False)


def alertmanager_config(s: MonitoringSettings) -> str:
    receiver: dict = {"name": "airlift"}
    if s.webhook:
        receiver["webhook_configs"] = [{"url": s.webhook, "send_resolved": True}]
    if s.email:
        receiver["email_configs"] = [{"to": s.email, "from": s.email_from, "smarthost": s.smtp,
                                      "send_resolved": True}]
    config = {
        "route": {"receiver": "airlift", "group_by": ["alertname", "node"], "group_wait": "30s",
                  "group_interval": "5m", "repeat_interval": "4h"},
        "receivers": [receiver],
    }
    return yaml.safe_dump(config, sort_keys=False)


def targets_file(nodes: Iterable[tuple[str, str]], exporter_port: int) -> str:
    """file_sd JSON: one target per (node, address), labelled with the node's name."""
    return json.dumps([{"targets": [f"{address}:{exporter_port}"], "labels": {"node": name}}
                       for name, address in sorted(nodes)], indent=1)
