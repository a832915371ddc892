"""`./install status` with monitoring: the alerts firing, the health word and its reasons."""

from __future__ import annotations

import io

from rich.console import Console

from installer.cli.reports import print_status
from installer.plan import build_install_plan
from installer.status.health import health_checks, health_word

DISK = {"name": "DiskAlmostFull", "severity": "warning", "node": "node-1",
        "summary": "Disk /data on node node-1 is over 85 % full", "since": "2026-01-01T00:00:00Z"}


def status(monitoring: dict | None, plan_state: str = "completed", running: bool = True) -> dict:
    plan = build_install_plan("node-1").to_dict()
    plan["state"] = plan_state
    base = {
        "app": {"name": "hello", "version": "1.0.0"}, "installer": {"version": "0.1.0"},
        "runtime": {"name": "k3s", "version": "v1.30.6+k3s1", "running": running, "nodes": []},
        "plan": plan, "registry": {"url": "https://10.0.0.5:5000", "answering": True, "images": None},
        "endpoints": [], "nodes": [], "operations": [], "join": {}, "cluster_service": True,
        "monitoring": monitoring,
    }
    base["health"] = health_checks(base)
    alerts = (monitoring or {}).get("alerts") or []
    base["condition"], base["reasons"] = health_word(base["health"], plan_state == "completed", alerts)
    base["healthy"] = base["condition"] == "healthy"
    return base


def test_no_alert_and_prometheus_answering_is_healthy():
    s = status({"url": "http://127.0.0.1:9090", "answering": True, "alerts": []})
    assert (s["condition"], s["reasons"]) == ("healthy", [])
    assert {"check": "monitoring (Prometheus) answering", "ok": True, "detail": "", "impact": "degraded"} in s["health"]


def test_a_firing_alert_makes_the_install_degraded_and_names_it():
    s = status({"url": "http://127.0.0.1:9090", "answering": True, "alerts": [DISK]})
    assert s["condition"] == "degraded" and not s["healthy"]
    assert s["reasons"] == ["alert DiskAlmostFull on node-1: Disk /data on node node-1 is over 85 % full"]
    out = io.StringIO()
    print_status(s, Console(file=out, width=200))
    text = out.getvalue()
    assert "Health: degraded" in text and "Alerts firing:" in text
    assert "DiskAlmostFull on node-1 (warning): Disk /data on node node-1 is over 85 % full" in text


def test_prometheus_down_is_said_and_degrades():
    s = status({"url": "http://127.0.0.1:9090", "answering": False, "alerts": None})
    assert s["condition"] == "degraded"
    assert s["reasons"] == ["monitoring (Prometheus) answering: no answer at http://127.0.0.1:9090: "
                                       "alerts unknown"]
    out = io.StringIO()
    print_status(s, Console(file=out, width=200))
    assert "✗ monitoring (Prometheus) answering no answer at http://127.0.0.1:9090: alerts unknown" in out.getvalue()


def test_an_unfinished_install_or_a_stopped_k3s_is_down():
    unfinished = status(None, plan_state="failed")
    assert unfinished["condition"] == "down" and unfinished["reasons"][0] == "the install has not completed"
    assert status(None, running=False)["condition"] == "down"
