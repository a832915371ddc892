"""What monitoring tells the panel, when it runs: a node's CPU, memory and disk over the last hour,
and the alerts firing, from Prometheus's HTTP API on this host's loopback (port `monitoring-port`
of the answers). When Prometheus does not answer, the screens say "monitoring is not running"
instead of drawing anything.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request

from panel.site import Site

DEFAULT_MONITORING_PORT = 9090
TIMEOUT_S = 3.0
RANGE_S = 3600
STEP_S = 60
NOT_RUNNING = "monitoring is not running"

# node_exporter's series, for the node whose exporter is at the address.
QUERIES = {
    "cpu": '100 * (1 - avg(rate(node_cpu_seconds_total{{mode="idle",instance=~"{addr}:.*"}}[5m])))',
    "memory": '100 * (1 - node_memory_MemAvailable_bytes{{instance=~"{addr}:.*"}}'
              ' / node_memory_MemTotal_bytes{{instance=~"{addr}:.*"}})',
    "disk": '100 * max(1 - node_filesystem_avail_bytes{{instance=~"{addr}:.*",fstype!~"tmpfs|overlay"}}'
            ' / node_filesystem_size_bytes{{instance=~"{addr}:.*",fstype!~"tmpfs|overlay"}})',
}


# Straight to loopback, whatever proxy the service's environment names.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class NotAnswering(Exception):
    """Prometheus did not answer on loopback (not installed, or not running)."""


def node_charts(site: Site, node: str) -> dict:
    """{available, message?, series: {cpu|memory|disk: [[unix time, percent], ...]}} for `node`."""
    address = next((n["address"] for n in (site.status() or {}).get("nodes", []) if n["name"] == node), None)
    if address is None:
        return {"available": False, "message": f"there is no node {node}", "series": {}}
    end = time.time()
    try:
        series = {name: _range(site, query.format(addr=_escape(address)), end) for name, query in QUERIES.items()}
    except NotAnswering:
        return {"available": False, "message": NOT_RUNNING, "series": {}}
    return {"available": True, "series": series}


def alerts(site: Site) -> dict:
    """{available, message?, firing: [{name, severity, summary}]} from Prometheus's alerts."""
    try:
        data = _get(site, "/api/v1/alerts", {})
    except NotAnswering:
        return {"available": False, "message": NOT_RUNNING, "firing": []}
    firing = [a for a in data.get("alerts", []) if a.get("state") == "firing"]
    return {"available": True, "firing": [
        {"name": a.get("labels", {}).get("alertname", "alert"), "severity": a.get("labels", {}).get("severity", ""),
         "summary": a.get("annotations", {}).get("summary") or a.get("annotations", {}).get("description", "")}
        for a in firing]}


def _range(site: Site, query: str, end: float) -> list[list[float]]:
    data = _get(site, "/api/v1/query_range",
                {"query": query, "start": f"{end - RANGE_S:.0f}", "end": f"{end:.0f}", "step": str(STEP_S)})
    results = data.get("result", [])
    values = results[0].get("values", []) if results else []
    return [[float(t), round(float(v), 2)] for t, v in values if v not in ("NaN", "+Inf", "-Inf")]


def _get(site: Site, path: str, params: dict[str, str]) -> dict:
    port = int(site.raw_answers().get("monitoring-port") or DEFAULT_MONITORING_PORT)
    url = f"http://127.0.0.1:{port}{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
    try:
        with _DIRECT.open(url, timeout=TIMEOUT_S) as response:
            body = json.loads(response.read())
    except (OSError, urllib.error.URLError, ValueError) as exc:
        raise NotAnswering(str(exc)) from exc
    if body.get("status") != "success":
        raise NotAnswering(str(body.get("error")))
    data: dict = body.get("data") or {}
    return data


def _escape(address: str) -> str:
    return address.replace(".", "\\\\.")
