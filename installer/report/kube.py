"""What Kubernetes says, for the support report, through the runtime's kubectl on the first master:
nodes, pods, events and jobs of every namespace and the application's own resources (`-o yaml`),
and `describe` of each pod that is not Ready.

The objects are parsed, so the summary can say which pods are not Ready and which jobs failed, and
so a Secret's values never reach the report (its data and the last-applied annotation, which
repeats them, are masked before the YAML is written).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from installer.errors import AirliftError
from installer.report.redact import mark

Kubectl = Callable[[Sequence[str]], str]
LISTS = {"nodes": ["get", "nodes"], "pods": ["get", "pods", "--all-namespaces"],
         "events": ["get", "events", "--all-namespaces"], "jobs": ["get", "jobs", "--all-namespaces"]}
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SECRET_KIND = "Kubernetes Secret data"


@dataclass
class ClusterView:
    """The files written under cluster/, the objects the summary reads, and what kubectl refused."""

    files: dict[str, str] = field(default_factory=dict)
    objects: dict[str, list[dict]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    secrets_masked: int = 0


def collect_cluster(kubectl: Kubectl, resources: Path | None) -> ClusterView:
    """Every list, the application's resources (`resources`: the kept documents file) and the
    description of each pod not Ready; a kubectl that fails is noted, never fatal."""
    view = ClusterView()
    for name, args in LISTS.items():
        _get(view, kubectl, name, [*args, "-o", "yaml"])
    if resources is not None and resources.is_file():
        _get(view, kubectl, "application", ["get", "-f", str(resources), "-o", "yaml"])
    for pod in pods_not_ready(view.objects.get("pods", [])):
        meta = pod["metadata"]
        namespace, name = meta.get("namespace", "default"), meta["name"]
        try:
            view.files[describe_file(namespace, name)] = kubectl(["describe", "pod", name, "-n", namespace])
        except AirliftError as exc:
            view.errors.append(f"kubectl describe pod {name} -n {namespace}: {exc.message}")
    if view.errors:
        view.files["cluster/errors.txt"] = "\n".join(view.errors) + "\n"
    return view


def describe_file(namespace: str, name: str) -> str:
    return f"cluster/describe/pod-{namespace}-{name}.txt"


def _get(view: ClusterView, kubectl: Kubectl, name: str, args: list[str]) -> None:
    try:
        text = kubectl(args)
    except AirliftError as exc:
        view.errors.append(f"kubectl {' '.join(args)}: {exc.message}")
        return
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        view.files[f"cluster/{name}.yaml"] = text
        return
    items = doc.get("items", [doc]) if isinstance(doc, dict) and doc.get("kind") == "List" else [doc]
    items = [i for i in items if isinstance(i, dict)]
    for item in items:
        view.secrets_masked += mask_secret(item)
    view.objects[name] = items
    view.files[f"cluster/{name}.yaml"] = yaml.safe_dump(
        {"apiVersion": "v1", "kind": "List", "items": items}, sort_keys=False)


def mask_secret(obj: dict) -> int:
    """Mask a Secret's values in place; how many were masked (0 for any other kind)."""
    if obj.get("kind") != "Secret":
        return 0
    masked = 0
    for key in ("data", "stringData"):
        values = obj.get(key)
        if isinstance(values, dict):
            masked += len(values)
            obj[key] = {k: mark(SECRET_KIND) for k in values}
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    if LAST_APPLIED in annotations:
        annotations[LAST_APPLIED] = mark(SECRET_KIND)
        masked += 1
    return masked


def pods_not_ready(pods: list[dict]) -> list[dict]:
    """Pods that should serve and do not: not Succeeded and without the Ready condition, leaving
    out the failed attempts of a Job (the Job's own state says whether it failed)."""
    out = []
    for pod in pods:
        status = pod.get("status") or {}
        phase = status.get("phase")
        if phase == "Succeeded" or (phase == "Failed" and _owned_by_job(pod)):
            continue
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
        if not ready:
            out.append(pod)
    return out


def jobs_failed(jobs: list[dict]) -> list[dict]:
    return [job for job in jobs if any(c.get("type") == "Failed" and c.get("status") == "True"
                                       for c in (job.get("status") or {}).get("conditions") or [])]


def nodes_not_ready(nodes: list[dict]) -> list[dict]:
    return [node for node in nodes if not any(c.get("type") == "Ready" and c.get("status") == "True"
                                              for c in (node.get("status") or {}).get("conditions") or [])]


def _owned_by_job(pod: dict) -> bool:
    return any(o.get("kind") == "Job" for o in (pod.get("metadata") or {}).get("ownerReferences") or [])
