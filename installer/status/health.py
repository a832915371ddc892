"""The health checks `./install status` runs, as data: the tables print them, `--json` carries
them, and the exit code is whether they all pass; and the one word that sums them up with the
alerts firing (`overall`)."""

from __future__ import annotations


def health_checks(status: dict) -> list[dict]:
    """[{check, ok, detail}] over the status the builder gathered (registry, runtime, nodes,
    cluster service)."""
    registry, runtime = status["registry"], status["runtime"]
    checks = [_check("registry answering", registry["answering"], registry["url"])]
    images = registry.get("images")
    if images is not None:
        checks.append(_check(f"registry serves all {images['count']} image(s) of the bundle", not images["problems"],
                             "; ".join(images["problems"][:3])))
    checks.append(_check("k3s running", bool(runtime.get("running")),
                         f"({runtime['version']}, carried by the bundle)" if runtime.get("version") else ""))
    for node in runtime.get("nodes", []):
        checks.append(_check(f"node {node.get('name')} Ready", bool(node.get("ready")), ""))
    if status["cluster_service"] is not None:
        checks.append(_check("cluster service running (nodes join and leave through it)",
                             bool(status["cluster_service"]), ""))
    monitoring = status.get("monitoring")
    if monitoring is not None:
        checks.append(_check("monitoring (Prometheus) answering", monitoring["answering"],
                             "" if monitoring["answering"] else f"no answer at {monitoring['url']}: alerts unknown"))
    return checks


def overall(status: dict) -> dict:
    """{health, reasons}: down when the install is unfinished or Kubernetes does not run; degraded
    when a health check fails or an alert fires (each named); healthy otherwise."""
    plan_state = status["plan"].get("state")
    if plan_state != "completed":
        return {"health": "down", "reasons": [f"the install is {plan_state}, not completed"]}
    if not status["runtime"].get("running"):
        return {"health": "down", "reasons": ["k3s is not running"]}
    reasons = [f"{c['check']}: failing" + (f" ({c['detail']})" if c["detail"] else "")
               for c in status["health"] if not c["ok"]]
    alerts = (status.get("monitoring") or {}).get("alerts") or []
    reasons += [f"alert {a['name']}" + (f" on {a['node']}" if a["node"] else "") + f": {a['summary']}"
                for a in alerts]
    return {"health": "degraded" if reasons else "healthy", "reasons": reasons}


def _check(name: str, ok: bool, detail: str) -> dict:
    return {"check": name, "ok": ok, "detail": detail}
