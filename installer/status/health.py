"""The health checks `./install status` runs, as data: the tables print them, `--json` carries
them, and the exit code is whether they all pass."""

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
    if status["panel"]["running"] is not None:
        checks.append(_check("control panel running", bool(status["panel"]["running"]), status["panel"]["url"]))
    return checks


# Without these the application cannot run or be pulled: the site is down, not degraded.
VITAL = ("registry answering", "k3s running")


def condition(status: dict) -> dict:
    """{word, reasons}: "down" when the install is not complete, or k3s or the registry is not
    running; "degraded" when any other check fails; else "healthy". The reasons name each failing
    check, so an operator sees why in one line."""
    failing = [c for c in status["health"] if not c["ok"]]
    reasons = [f"{c['check']}: failing" + (f" ({c['detail']})" if c["detail"] else "") for c in failing]
    plan_state = status["plan"]["state"]
    if plan_state != "completed":
        return {"word": "down", "reasons": [f"the install is {plan_state}", *reasons]}
    if any(c["check"] in VITAL for c in failing):
        return {"word": "down", "reasons": reasons}
    return {"word": "degraded" if failing else "healthy", "reasons": reasons}


def _check(name: str, ok: bool, detail: str) -> dict:
    return {"check": name, "ok": ok, "detail": detail}
