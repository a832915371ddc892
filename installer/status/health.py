"""The health checks `./install status` runs, as data: the tables print them, `--json` carries
them, and the exit code is whether the word is healthy. One word sums them up for the operator:
healthy, degraded (something fails that leaves the application running, such as its status hook,
one node, or an alert firing) or down (the runtime does not run, or the install is not complete)."""

from __future__ import annotations

from collections.abc import Sequence

DOWN, DEGRADED = "down", "degraded"
ALERT_REASON = "alert "  # how a reason that is an alert firing begins


def health_checks(status: dict) -> list[dict]:
    """[{check, ok, detail, impact}] over the status the builder gathered (registry, runtime,
    nodes, cluster service, the application's status hook); impact: what a failure means."""
    registry, runtime = status["registry"], status["runtime"]
    checks = [_check("registry answering", registry["answering"], registry["url"], impact=DOWN)]
    images = registry.get("images")
    if images is not None:
        checks.append(_check(f"registry serves all {images['count']} image(s) of the bundle", not images["problems"],
                             "; ".join(images["problems"][:3])))
    checks.append(_check("k3s running", bool(runtime.get("running")),
                         f"({runtime['version']}, carried by the bundle)" if runtime.get("version") else "",
                         impact=DOWN))
    for node in runtime.get("nodes", []):
        checks.append(_check(f"node {node.get('name')} Ready", bool(node.get("ready")), ""))
    if status["cluster_service"] is not None:
        checks.append(_check("cluster service running (nodes join and leave through it)",
                             bool(status["cluster_service"]), ""))
    hook = status.get("status_hook")
    if hook is not None:
        checks.append(_check("application status hook", hook["ok"], hook["detail"]))
    monitoring = status.get("monitoring")
    if monitoring is not None:
        checks.append(_check("monitoring (Prometheus) answering", monitoring["answering"],
                             "" if monitoring["answering"] else f"no answer at {monitoring['url']}: alerts unknown"))
    panel = status.get("panel")
    if panel is not None and panel["running"] is not None:
        checks.append(_check("control panel running", bool(panel["running"]), panel["url"]))
    return checks


def health_word(checks: list[dict], completed: bool, alerts: Sequence[dict] = ()) -> tuple[str, list[str]]:
    """("healthy" | "degraded" | "down", the reasons: each failing check with its detail, each alert
    firing)."""
    failing = [c for c in checks if not c["ok"]]
    reasons = ([] if completed else ["the install has not completed"]) + [
        f"{c['check']}: {c['detail']}" if c["detail"] else c["check"] for c in failing]
    reasons += [f"{ALERT_REASON}{a['name']}" + (f" on {a['node']}" if a["node"] else "") + f": {a['summary']}"
                for a in alerts]
    if not completed or any(c["impact"] == DOWN for c in failing):
        return DOWN, reasons
    return (DEGRADED if reasons else "healthy"), reasons


def _check(name: str, ok: bool, detail: str, impact: str = DEGRADED) -> dict:
    return {"check": name, "ok": ok, "detail": detail, "impact": impact}
