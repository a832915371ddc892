"""The alerts firing now, as Prometheus on the first master's loopback reports them, for
`./install status`; None when Prometheus does not answer (status then says so)."""

from __future__ import annotations

import requests


def firing_alerts(prometheus_url: str, timeout: float = 3.0) -> list[dict] | None:
    """[{name, severity, node, summary, since}] of every firing alert (pending ones are not yet
    alerts); None when Prometheus cannot be asked."""
    try:
        response = requests.get(f"{prometheus_url}/api/v1/alerts", timeout=timeout)
        response.raise_for_status()
        alerts = response.json()["data"]["alerts"]
    except (requests.RequestException, ValueError, KeyError, TypeError):
        return None
    return sorted(({"name": a["labels"].get("alertname"), "severity": a["labels"].get("severity"),
                    "node": a["labels"].get("node"), "summary": a.get("annotations", {}).get("summary", ""),
                    "since": a.get("activeAt")} for a in alerts if a.get("state") == "firing"),
                  key=lambda a: (str(a["name"]), str(a["node"])))
