"""The support report's summary rules: each finds what looks wrong and names the file to open."""

from __future__ import annotations

from installer.errors import AirliftError
from installer.plan.model import Phase, Plan
from installer.report import summary as rules
from installer.report.kube import ClusterView, collect_cluster
from installer.report.node import clip


def ready(status: str) -> dict:
    return {"conditions": [{"type": "Ready", "status": status}]}


def pod(name: str, phase: str, is_ready: str = "False", job: bool = False) -> dict:
    owners = [{"kind": "Job", "name": "j"}] if job else []
    return {"metadata": {"name": name, "namespace": "app", "ownerReferences": owners},
            "status": {"phase": phase, **ready(is_ready)}}


def test_failed_phases_are_named_with_why_and_the_events_file() -> None:
    plan = Plan("install", [Phase("/checks", "c", state="completed"),
                            Phase("/app", "a", state="failed", error={"message": "hook install failed"})])
    [found] = rules.failed_phases(plan, "the install", "nodes/m/state/events.jsonl")
    assert found.what == "the install: phase /app failed (hook install failed)"
    assert found.file == "nodes/m/state/events.jsonl"
    assert rules.failed_phases(None, "x", "f") == []


def test_pods_not_ready_point_at_their_description() -> None:
    view = ClusterView(objects={"pods": [pod("web-0", "Running", "True"), pod("web-1", "Pending"),
                                         pod("web-2", "Running", "False"), pod("hook-abcde", "Failed", job=True),
                                         pod("done", "Succeeded")]})
    found = rules.cluster_findings(view)
    assert [f.what for f in found] == ["pod app/web-1 is not Ready (Pending)", "pod app/web-2 is not Ready (Running)"]
    assert found[0].file == "cluster/describe/pod-app-web-1.txt"


def test_failed_jobs_nodes_not_ready_and_kubectl_errors() -> None:
    failed = {"metadata": {"name": "hook", "namespace": "app"},
              "status": {"conditions": [{"type": "Failed", "status": "True"}]}}
    view = ClusterView(objects={"jobs": [failed], "nodes": [{"metadata": {"name": "n2"}, "status": ready("False")},
                                                             {"metadata": {"name": "n1"}, "status": ready("True")}]},
                       errors=["kubectl get pods: refused"])
    assert [(f.what, f.file) for f in rules.cluster_findings(view)] == [
        ("job app/hook failed", "cluster/jobs.yaml"),
        ("Kubernetes node n2 is not Ready", "cluster/nodes.yaml"),
        ("kubectl did not answer 1 question(s) (is k3s running?)", "cluster/errors.txt")]


def test_checks_failing_now_but_not_warnings() -> None:
    checks = {"results": [{"id": "time-sync", "status": "fail", "message": "the clock is not synchronised"},
                          {"id": "swap", "status": "warn", "message": "swap is on"},
                          {"id": "cpu-min", "status": "pass", "message": "ok"}]}
    [found] = rules.check_findings("n1", checks, "nodes/n1/system/checks-now.json")
    assert found.what == "n1: check time-sync fails now: the clock is not synchronised"


def test_disk_nearly_full_by_space_or_inodes_once_per_file_system() -> None:
    disks = [{"what": "state", "path": "/var/lib/airlift", "measured_at": "/var", "percent": 91.0, "inodes_percent": 3.0},
             {"what": "k3s data", "path": "/var/lib/rancher/k3s", "measured_at": "/var", "percent": 91.0,
              "inodes_percent": 3.0},
             {"what": "root", "path": "/", "measured_at": "/", "percent": 40.0, "inodes_percent": 86.0},
             {"what": "volume /data", "path": "/data", "measured_at": "/data", "percent": 84.9, "inodes_percent": 1.0}]
    found = [f.what for f in rules.disk_findings("n1", disks, "nodes/n1/system/disk.json")]
    assert found == ["n1: state (/var/lib/airlift) is 91 % full of space", "n1: root (/) is 86 % full of inodes"]


def test_nodes_that_did_not_answer_point_at_their_file() -> None:
    [found] = rules.unanswered_findings({"n3": "no answer within 60s"})
    assert found.what == "node n3 did not answer: no answer within 60s" and found.file == "nodes-not-answering.txt"


def test_the_summary_lists_findings_first_or_says_nothing_looks_wrong() -> None:
    text = rules.render("Report", "scope", [rules.Finding("pod x is not Ready", "cluster/describe/pod-a-x.txt")],
                        ["summary.txt  this file"])
    assert text.index("What looks wrong (1)") < text.index("What is in this report")
    assert "open: cluster/describe/pod-a-x.txt" in text
    assert "Nothing looks wrong" in rules.render("Report", "scope", [], [])


def test_cluster_collection_describes_pods_not_ready_and_survives_kubectl_failures() -> None:
    pods = "kind: List\nitems:\n- metadata: {name: web-1, namespace: app}\n  status: {phase: Pending}\n"

    def kubectl(args):
        if args[:2] == ["get", "pods"]:
            return pods
        if args[0] == "describe":
            return f"Name: {args[2]}"
        raise AirliftError("The connection to the server was refused")

    view = collect_cluster(kubectl, None)
    assert view.files["cluster/describe/pod-app-web-1.txt"] == "Name: web-1"
    assert "cluster/pods.yaml" in view.files and len(view.errors) == 3
    assert "refused" in view.files["cluster/errors.txt"]


def test_a_long_file_keeps_its_end() -> None:
    text = "old\n" * 1000 + "newest line\n"
    cut = clip(text, 100)
    assert cut.endswith("newest line\n") and "left out" in cut.splitlines()[0]
    assert clip("short", 100) == "short"


def test_a_stopped_service_points_at_its_log() -> None:
    [found] = rules.service_findings("m", ["airlift-cluster"])
    assert found.what == "m: the service airlift-cluster is not running"
    assert found.file == "nodes/m/logs/airlift-cluster.log"


def test_firing_alerts_point_at_the_alerts_file() -> None:
    found = rules.alert_findings([{"name": "NodeDown", "node": "node-2", "summary": "node-2 does not answer"},
                                  {"name": "RegistryDown", "node": None, "summary": ""}])
    assert [f.what for f in found] == ["alert NodeDown is firing on node-2: node-2 does not answer",
                                      "alert RegistryDown is firing"]
    assert {f.file for f in found} == {"metrics/alerts-firing-now.json"}


def test_monitoring_that_does_not_answer_points_at_prometheus_log() -> None:
    (found,) = rules.monitoring_silent("node-1", "Prometheus does not answer at http://127.0.0.1:9090")
    assert "this report holds no metrics" in found.what and found.file == "nodes/node-1/logs/airlift-prometheus.log"
