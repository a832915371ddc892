"""summary.txt: what looks wrong, each with the file of the report to open first.

Each rule is a small pure function over what was collected, so a rule is tested with the data
alone. The rules: phases that failed (the install's or an operation's, upgrades included), pods not
Ready, jobs that failed, nodes not Ready, host checks failing now, a disk or its inodes nearly full,
nodes that did not answer, Kubernetes or a service of Airlift (the cluster service) not running,
alerts firing, and monitoring that does not answer (so the report holds no metrics).
"""

from __future__ import annotations

from dataclasses import dataclass

from installer.plan import Plan
from installer.report.kube import ClusterView, describe_file, jobs_failed, nodes_not_ready, pods_not_ready
from installer.report.metrics import ALERTS_FILE
from installer.services.names import PROMETHEUS

DISK_FULL_PERCENT = 85.0  # the point where an operator must act before the node stops taking data
NOT_ANSWERING = "nodes-not-answering.txt"


@dataclass(frozen=True)
class Finding:
    what: str
    file: str


def failed_phases(plan: Plan | None, operation: str, file: str) -> list[Finding]:
    """Each failed phase of `plan` (the install, or the operation named), with why."""
    if plan is None:
        return []
    out = []
    for phase in plan.phases:
        if phase.state == "failed":
            why = (phase.error or {}).get("message")
            out.append(Finding(f"{operation}: phase {phase.id} failed" + (f" ({why})" if why else ""), file))
    return out


def cluster_findings(view: ClusterView) -> list[Finding]:
    out = []
    for pod in pods_not_ready(view.objects.get("pods", [])):
        meta, status = pod["metadata"], pod.get("status") or {}
        namespace = meta.get("namespace", "default")
        out.append(Finding(f"pod {namespace}/{meta['name']} is not Ready ({status.get('phase', 'no phase')})",
                           describe_file(namespace, meta["name"])))
    for job in jobs_failed(view.objects.get("jobs", [])):
        meta = job["metadata"]
        out.append(Finding(f"job {meta.get('namespace', 'default')}/{meta['name']} failed", "cluster/jobs.yaml"))
    for node in nodes_not_ready(view.objects.get("nodes", [])):
        out.append(Finding(f"Kubernetes node {node['metadata']['name']} is not Ready", "cluster/nodes.yaml"))
    if view.errors:
        out.append(Finding(f"kubectl did not answer {len(view.errors)} question(s) (is k3s running?)",
                           "cluster/errors.txt"))
    return out


def check_findings(node: str, checks: dict, file: str) -> list[Finding]:
    """Host checks that fail now on `node`."""
    return [Finding(f"{node}: check {r['id']} fails now: {r['message']}", file)
            for r in checks.get("results") or [] if r.get("status") == "fail"]


def disk_findings(node: str, disks: list[dict], file: str, limit: float = DISK_FULL_PERCENT) -> list[Finding]:
    """File systems at or above `limit` percent of their space or inodes (each once)."""
    out, seen = [], set()
    for disk in disks:
        where = disk.get("measured_at")
        if where in seen:
            continue
        seen.add(where)
        for measure, label in (("percent", "space"), ("inodes_percent", "inodes")):
            if float(disk.get(measure) or 0) >= limit:
                out.append(Finding(f"{node}: {disk['what']} ({disk['path']}) is {disk[measure]:.0f} % full of {label}",
                                   file))
    return out


def service_findings(node: str, stopped: list[str]) -> list[Finding]:
    """Airlift services that should run on `node` and do not, each with its log."""
    return [Finding(f"{node}: the service {name} is not running", f"nodes/{node}/logs/{name}.log") for name in stopped]


def alert_findings(alerts: list[dict]) -> list[Finding]:
    """Each alert firing now, as Prometheus lists them."""
    return [Finding(f"alert {a['name']} is firing" + (f" on {a['node']}" if a.get("node") else "")
                    + (f": {a['summary']}" if a.get("summary") else ""), ALERTS_FILE) for a in alerts]


def monitoring_silent(node: str, why: str) -> list[Finding]:
    """Monitoring runs on this install but did not answer: no metrics and no alerts in the report."""
    return [Finding(f"monitoring did not answer ({why}), so this report holds no metrics and no alerts",
                    f"nodes/{node}/logs/{PROMETHEUS}.log")]


def unanswered_findings(unanswered: dict[str, str]) -> list[Finding]:
    return [Finding(f"node {node} did not answer: {why}", NOT_ANSWERING) for node, why in unanswered.items()]


def render(title: str, scope: str, findings: list[Finding], layout: list[str]) -> str:
    """The text of summary.txt."""
    lines = [title, scope, ""]
    if findings:
        lines.append(f"What looks wrong ({len(findings)}):")
        lines += [f"  - {f.what}\n      open: {f.file}" for f in findings]
    else:
        lines.append("Nothing looks wrong: no failed phase, every pod and node Ready, the checks pass, the disks "
                     "have room, every node answered.")
    lines += ["", "What is in this report:", *[f"  {line}" for line in layout], ""]
    return "\n".join(lines)
