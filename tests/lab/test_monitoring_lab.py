"""A node powered off on a three-node site: a 3-node install of `examples/hello` (flavor three,
both workers joined by command) with a short `--alert-for`, healthy once Prometheus scrapes every
node; then node 3's container is paused (powered off, as far as the network sees): the NodeDown
alert fires for node-3, `./install status` says degraded and names it, and `./install report`
names node-3 as the node that did not answer while holding the others. Unpaused, the site is
healthy again.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from installer.ports import MONITORING_PORT
from tests.lab.steps import INSTALL, install_three_by_command, unpack, wait_for

pytestmark = pytest.mark.lab

ALERT_FOR = "20s"  # the condition must hold this long; the default 5m would make the test wait
REPORT = "/root/report.tar.gz"


def alerts(text: str) -> list[dict]:
    return (json.loads(text).get("monitoring") or {}).get("alerts") or []


def node_down(text: str, node: str) -> bool:
    return any(a["name"] == "NodeDown" and a["node"] == node for a in alerts(text))


def prometheus_view(first) -> str:  # noqa: ANN001 - LabNode
    """What Prometheus on the first master saw, for a failure to show: the node job's `up`, its
    targets (health, last error, last scrape) and the alerts in every state. Asked from this
    machine in the node's network namespace: the node image has no HTTP client."""
    first.container.reload()
    pid = str(first.container.attrs["State"]["Pid"])
    asked = {"up": 'query?query=up{job="node"}', "targets": "targets?state=active", "alerts": "alerts"}
    return "\n".join(f"--- Prometheus {name}:\n" + subprocess.run(
        ["nsenter", "-t", pid, "-n", "curl", "-sSg", "--max-time", "10",
         f"http://127.0.0.1:{MONITORING_PORT}/api/v1/{path}"], capture_output=True, text=True).stdout
        for name, path in asked.items())


def report_file(first, name: str) -> str:  # noqa: ANN001 - LabNode
    """One file of the report, by its path below the report's top folder."""
    return first.check(f"tar -xOzf {REPORT} --wildcards '*/{name}'")


def test_a_node_powered_off_alerts_degrades_the_status_and_is_named_in_the_report(lab_nodes, frozen_hello_bundle):
    first, second, third = lab_nodes(3)
    for node in (first, second, third):
        unpack(node, frozen_hello_bundle)
    install_three_by_command(first, second, third, "--alert-for", ALERT_FOR)
    wait_for(first, "cat /root/install.log.rc 2>/dev/null", lambda out: out.strip() != "", 600, also=(second, third))
    assert first.check("cat /root/install.log.rc").strip() == "0", first.check("cat /root/install.log")
    status = f"{INSTALL} status --json"
    wait_for(first, status, lambda text: json.loads(text)["condition"] == "healthy"
             and (json.loads(text).get("monitoring") or {}).get("answering"), 180)

    third.container.pause()
    try:
        try:
            text = wait_for(first, status, lambda out: node_down(out, "node-3"), 180)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{prometheus_view(first)}") from None
        down = json.loads(text)
        assert down["condition"] == "degraded", down
        assert any(r.startswith("alert NodeDown on node-3") for r in down["reasons"]), down["reasons"]
        assert not node_down(text, "node-1") and not node_down(text, "node-2"), alerts(text)
        code, shown = first.exec(f"COLUMNS=250 {INSTALL} status")
        assert code == 1 and "degraded" in shown and "NodeDown" in shown and "node-3" in shown, shown

        code, out = first.exec(f"COLUMNS=250 {INSTALL} report -o {REPORT} --timeout 10", workdir="/")
        assert code == 0, out
        assert "node-3" in report_file(first, "nodes-not-answering.txt")
        summary = report_file(first, "summary.txt")
        assert "node node-3 did not answer" in summary, summary
        assert "alert NodeDown is firing on node-3" in summary, summary
        listed = first.check(f"tar -tzf {REPORT}")
        assert "/nodes/node-2/system/disk.json" in listed and "/nodes/node-3/" not in listed
        assert "/metrics/up.json" in listed
    finally:
        third.container.unpause()

    wait_for(first, status, lambda out: json.loads(out)["condition"] == "healthy", 240)
