"""The last hour of key metrics for the support report, from Prometheus on the first master's
loopback: every node's CPU, memory and disk, which scrape targets were up, the alerts that fired,
and the alerts firing now. A vendor reading a report after the fact needs the hour before the
trouble, which no log holds.

Each series set is one file `metrics/<name>.json` (Prometheus's own `matrix` result, with the
query and the range that made it), so it loads into any tool. When Prometheus does not answer,
the report holds no metrics and its summary says so.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import requests

from installer.monitoring.alerts import firing_alerts

RANGE_S = 3600
STEP_S = 60
TIMEOUT_S = 10.0
FOLDER = "metrics"
ALERTS_FILE = f"{FOLDER}/alerts-firing-now.json"

_FS = 'fstype!~"tmpfs|overlay|squashfs"'
QUERIES = {
    "cpu-percent": '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])))',
    "memory-percent": "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)",
    "disk-percent": f"100 * (1 - node_filesystem_avail_bytes{{{_FS}}} / node_filesystem_size_bytes{{{_FS}}})",
    "inodes-percent": f"100 * (1 - node_filesystem_files_free{{{_FS}}} / node_filesystem_files{{{_FS}}})",
    "up": "up",
    "alerts-fired": 'ALERTS{alertstate="firing"}',
}


@dataclass
class MetricsView:
    """The metrics' files; `answering` False (and `why`) when Prometheus could not be asked."""

    answering: bool
    files: dict[str, str] = field(default_factory=dict)
    alerts: list[dict] = field(default_factory=list)
    why: str = ""


def collect_metrics(prometheus_url: str, end: float | None = None) -> MetricsView:
    """The last hour before `end` (now); a query Prometheus refuses is noted in metrics/errors.txt."""
    alerts = firing_alerts(prometheus_url)
    if alerts is None:
        return MetricsView(False, why=f"Prometheus does not answer at {prometheus_url}")
    end = time.time() if end is None else end
    view = MetricsView(True, {ALERTS_FILE: json.dumps(alerts, indent=1) + "\n"}, alerts)
    errors = []
    with requests.Session() as session:
        session.trust_env = False  # loopback, whatever proxy the environment names
        for name, query in QUERIES.items():
            try:
                view.files[f"{FOLDER}/{name}.json"] = _range(session, prometheus_url, query, end)
            except (requests.RequestException, ValueError, KeyError) as exc:
                errors.append(f"{name}: {query}\n  {exc}\n")
    if errors:
        view.files[f"{FOLDER}/errors.txt"] = "".join(errors)
    return view


def _range(session: requests.Session, url: str, query: str, end: float) -> str:
    params = {"query": query, "start": f"{end - RANGE_S:.0f}", "end": f"{end:.0f}", "step": str(STEP_S)}
    response = session.get(f"{url}/api/v1/query_range", params=params, timeout=TIMEOUT_S)
    body = response.json()
    if body.get("status") != "success":
        raise ValueError(f"HTTP {response.status_code}: {body.get('error') or 'no data'}")
    document = {"query": query, "start": params["start"], "end": params["end"], "step_s": STEP_S,
                "result": body["data"]["result"]}
    return json.dumps(document) + "\n"
