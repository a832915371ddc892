"""What the monitoring is set up with, taken from the answers once: ports, retention, how long a
condition holds before it alerts, and where Alertmanager delivers."""

from __future__ import annotations

from dataclasses import dataclass

from installer.answers import Answers


@dataclass(frozen=True)
class MonitoringSettings:
    address: str  # the first master's advertise address (the cluster service listens there)
    agent_port: int
    prometheus_port: int
    alertmanager_port: int
    exporter_port: int
    registry_metrics_port: int
    retention: str
    retention_size: str
    alert_for: str
    webhook: str | None = None
    email: str | None = None
    smtp: str | None = None
    email_from: str | None = None

    @classmethod
    def from_answers(cls, a: Answers) -> MonitoringSettings:
        return cls(str(a.advertise_addr), a.agent_port, a.monitoring_port, a.alertmanager_port, a.exporter_port,
                   a.registry_metrics_port, a.monitoring_retention, a.monitoring_retention_size, a.alert_for,
                   a.alert_webhook, a.alert_email, a.alert_smtp, a.alert_email_from)

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}"
