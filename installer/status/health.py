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
    return checks


def _check(name: str, ok: bool, detail: str) -> dict:
    return {"check": name, "ok": ok, "detail": detail}
