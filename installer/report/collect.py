"""Gather the support report: this node, Kubernetes and the last hour of metrics (on the first
master), every other node through its agent (relayed by the cluster service), then redact it all
and say what looks wrong.

A node that does not answer within its time is named in the report, never fatal; when the cluster
service itself does not answer, the report holds what this node can collect and says so.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from installer import answers as answers_mod
from installer.app_documents import RESOURCES_FILE
from installer.errors import AirliftError
from installer.events import EventBus
from installer.host import Host
from installer.manifest import Manifest, load_manifest
from installer.monitoring.settings import MonitoringSettings
from installer.plan import Plan, PlanStore
from installer.report import summary as rules
from installer.report.kube import SECRET_KIND, ClusterView, collect_cluster
from installer.report.metrics import FOLDER as METRICS_FOLDER
from installer.report.metrics import MetricsView, collect_metrics
from installer.report.node import collect_node
from installer.report.redact import Redactor
from installer.report.secrets import known_secrets
from installer.runtime import K3sRuntime
from installer.services import ServiceManager
from installer.services.names import CONTROLLER
from installer.statedir import StateDir

PARALLEL_NODES = 8


class NodeSilent(Exception):
    """One node did not answer (or refused); the message says why."""


class ServiceDown(Exception):
    """The cluster service does not answer on this host, so no other node can be reached."""


class Remote(Protocol):
    """The other nodes, reached through the cluster service."""

    def collect(self, node: str) -> dict:
        """{"files": packed, "redactions": [{kind, file, count}]}; NodeSilent or ServiceDown."""


@dataclass
class Report:
    """The report's files (redacted), what looks wrong, and the name of its top folder."""

    top: str
    files: dict[str, str] = field(default_factory=dict)
    findings: list[rules.Finding] = field(default_factory=list)


@dataclass
class _Where:
    """The node the report is made on and what it is."""

    host: Host
    services: ServiceManager
    state_dir: Path
    node: str
    first_master: bool
    manifest: Manifest | None
    profile: str | None


def collect_report(host: Host, services: ServiceManager, state_dir: Path, bus: EventBus,
                   remote: Remote | None, unpack: Callable[[str], dict[str, str]]) -> Report:
    """The whole report; `remote` is None on a node that is not the first master."""
    where = _where(host, services, state_dir)
    others = _other_nodes(where)
    steps = _Steps(bus, 3 + len(others) + (2 if where.first_master else 0))
    report = Report(f"airlift-report-{where.node}-{time.strftime('%Y%m%d-%H%M%S')}")
    raw = {f"nodes/{where.node}/{k}": v for k, v in collect_node(host, services, state_dir, where.profile).items()}
    redactor = Redactor(known_secrets(host, state_dir), where.manifest.report_redact if where.manifest else ())
    steps.advance()
    view, metrics = ClusterView(), None
    if where.first_master:
        view = collect_cluster(K3sRuntime(host, services, state_dir).kubectl, StateDir(state_dir).app / RESOURCES_FILE)
        raw.update(view.files)
        redactor.note(SECRET_KIND, "cluster/", view.secrets_masked)
        steps.advance()
        metrics = _metrics(where)
        raw.update(metrics.files if metrics else {})
        steps.advance()
    unanswered = _remote_nodes(remote, others, raw, redactor, unpack, bus, steps.advance)
    report.findings = _findings(where, raw, view, unanswered) + _metrics_findings(where, metrics)
    for name, text in raw.items():
        report.files[name] = redactor.text(text, name)
    steps.advance()
    _closing_files(report, where, unanswered, redactor)
    steps.advance()
    return report


class _Steps:
    """The report's progress bar: one step per node, Kubernetes, the metrics, the redaction and the
    summary."""

    def __init__(self, bus: EventBus, total: int) -> None:
        self.total, self.done = total, 0
        self._progress = bus.progress(None, "items", "Collecting the support report")
        self._progress(0, total)

    def advance(self) -> None:
        self.done += 1
        self._progress(self.done, self.total)


def _where(host: Host, services: ServiceManager, state_dir: Path) -> _Where:
    paths = StateDir(state_dir)
    install = PlanStore(state_dir).load()
    first = paths.admin_token.is_file() and install is not None
    manifest = _manifest(paths.app_manifest if first else paths.received_manifest)
    node = str(install.phases[0].node) if first and install and install.phases[0].node else socket.gethostname()
    profile = answers_mod.saved(paths.answers).profile if first and paths.answers.is_file() else None
    if profile is None and manifest is not None and len(manifest.profiles) == 1:
        profile = next(iter(manifest.profiles))
    return _Where(host, services, Path(state_dir), node, first, manifest, profile)


def _other_nodes(where: _Where) -> list[str]:
    if not where.first_master:
        return []
    nodes_file = StateDir(where.state_dir).nodes
    records = json.loads(nodes_file.read_text()) if nodes_file.is_file() else []
    return [str(r["name"]) for r in records if isinstance(r, dict) and r.get("name")]


def _remote_nodes(remote: Remote | None, others: list[str], raw: dict[str, str], redactor: Redactor,
                  unpack: Callable[[str], dict[str, str]], bus: EventBus, tick: Callable[[], None]) -> dict[str, str]:
    """Each other node's files into `raw`; {node: why} for those that did not answer."""
    unanswered: dict[str, str] = {}
    if not others:
        return unanswered
    if remote is None:
        return {node: f"the cluster service ({CONTROLLER}) is not reachable from here" for node in others}
    with ThreadPoolExecutor(max_workers=min(PARALLEL_NODES, len(others))) as pool:
        futures = {pool.submit(remote.collect, node): node for node in others}
        for future in as_completed(futures):
            node = futures[future]
            try:
                answer = future.result()
                for name, text in unpack(str(answer.get("files") or "")).items():
                    raw[f"nodes/{node}/{name}"] = text
                for record in answer.get("redactions") or []:
                    redactor.note(str(record["kind"]), f"nodes/{node}/{record['file']}", int(record["count"]))
            except (NodeSilent, ServiceDown, AirliftError, ValueError, KeyError) as exc:
                unanswered[node] = str(exc) or type(exc).__name__
                bus.log_line(f"Node {node} did not answer: {unanswered[node]}", "warn")
            tick()
    return unanswered


def _findings(where: _Where, raw: dict[str, str], view: ClusterView, unanswered: dict[str, str]) -> list[rules.Finding]:
    paths = StateDir(where.state_dir)

    def in_report(path: Path) -> str:
        return f"nodes/{where.node}/state/{path.relative_to(paths.root)}"

    found = rules.failed_phases(PlanStore(where.state_dir).load(), "the install", in_report(paths.events))
    for op_dir in sorted(paths.operations.glob("*")) if where.first_master else []:
        found += rules.failed_phases(_plan(op_dir), f"operation {op_dir.name}",
                                     in_report(paths.operation(op_dir.name).events))
    if where.first_master and not where.services.is_running(CONTROLLER):
        found += rules.service_findings(where.node, [CONTROLLER])
    found += rules.cluster_findings(view)
    for name in sorted({p.split("/")[1] for p in raw if p.startswith("nodes/")}):
        system = f"nodes/{name}/system"
        checks, disks = _json(raw.get(f"{system}/checks-now.json")), _json(raw.get(f"{system}/disk.json"))
        found += rules.check_findings(name, checks if isinstance(checks, dict) else {}, f"{system}/checks-now.json")
        found += rules.disk_findings(name, disks if isinstance(disks, list) else [], f"{system}/disk.json")
    return found + rules.unanswered_findings(unanswered)


def _metrics(where: _Where) -> MetricsView | None:
    """The last hour from Prometheus; None when this install runs no monitoring (its /monitoring
    phase never completed: an install older than the monitoring)."""
    paths = StateDir(where.state_dir)
    install = PlanStore(where.state_dir).load()
    if install is None or not paths.answers.is_file():
        return None
    if not any(p.id == "/monitoring" and p.state == "completed" for p in install.phases):
        return None
    return collect_metrics(MonitoringSettings.from_answers(answers_mod.saved(paths.answers)).prometheus_url)


def _metrics_findings(where: _Where, metrics: MetricsView | None) -> list[rules.Finding]:
    if metrics is None:
        return []
    if not metrics.answering:
        return rules.monitoring_silent(where.node, metrics.why)
    return rules.alert_findings(metrics.alerts)


def _closing_files(report: Report, where: _Where, unanswered: dict[str, str], redactor: Redactor) -> None:
    """summary.txt, redactions.txt and, when a node was silent, nodes-not-answering.txt."""
    if unanswered:
        report.files[rules.NOT_ANSWERING] = "".join(f"{node}: {why}\n" for node, why in sorted(unanswered.items()))
    report.files["redactions.txt"] = redactor.listing()
    app = f"{where.manifest.name} {where.manifest.version}" if where.manifest else "an Airlift install"
    title = f"Support report of {app}, made on {where.node} at {time.strftime('%Y-%m-%d %H:%M:%S %Z')}"
    report.files["summary.txt"] = rules.render(title, _scope(where, unanswered), report.findings, _layout(where))


def _scope(where: _Where, unanswered: dict[str, str]) -> str:
    if not where.first_master:
        return (f"{where.node} is not the first master, so this report holds this node alone; run ./install report "
                "on the first master for the whole cluster.")
    if unanswered and all(CONTROLLER in why for why in unanswered.values()):
        return (f"The cluster service ({CONTROLLER}) did not answer, so this report holds this node and Kubernetes "
                "only; the other nodes are listed in nodes-not-answering.txt.")
    return f"{where.node} is the first master: this report holds the whole cluster."


def _layout(where: _Where) -> list[str]:
    lines = ["summary.txt          this file", "redactions.txt       what was removed (kinds and files, never values)",
             "nodes/<node>/state/  answers, plan, events, facts, operations (upgrades too), logs",
             "nodes/<node>/logs/   the services' logs (k3s, the registry, the cluster service or agent)",
             "nodes/<node>/system/ disk, memory, versions, the host checks as they stand now"]
    if where.first_master:
        lines.append("cluster/             kubectl get nodes, pods, events, jobs, the application (-o yaml); "
                     "describe/ of pods not Ready")
        lines.append(f"{METRICS_FOLDER}/             the last hour from Prometheus: CPU, memory, disk and inodes per node, "
                     "targets up, alerts fired and firing now")
    return lines


def _manifest(path: Path) -> Manifest | None:
    try:
        return load_manifest(path) if path.is_file() else None
    except AirliftError:
        return None


def _plan(folder: Path) -> Plan | None:
    try:
        return PlanStore(folder).load()
    except (OSError, ValueError, KeyError):
        return None


def _json(text: str | None) -> object:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None
