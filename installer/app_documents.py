"""The application's Kubernetes resources as the install applies them, and its endpoints.

The bundle's resources/ folder also holds the hook Jobs (the manifest points at them); those
run as hooks, so they are left out of what is applied.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from installer.bundle import Bundle
from installer.manifest import Manifest

RESOURCES_FILE = "resources.yaml"


def _hook_names(manifest: Manifest) -> set[tuple[str, str]]:
    return {("Job", (job.get("metadata") or {}).get("name", "")) for job in manifest.hooks.values()}


def application_documents(bundle: Bundle, manifest: Manifest) -> list[dict]:
    """Every Kubernetes object under resources/ except the hook Jobs, in file order."""
    hooks = _hook_names(manifest)
    docs = []
    for path in (e.path for e in bundle.files("resources/")):
        if not path.endswith((".yaml", ".yml", ".json")):
            continue
        with bundle.open_file(path) as f:
            for doc in yaml.safe_load_all(f.read()):
                if isinstance(doc, dict) and (doc.get("kind"), (doc.get("metadata") or {}).get("name")) not in hooks:
                    docs.append(doc)
    return docs


def load_documents(app_dir: Path) -> list[dict]:
    path = app_dir / RESOURCES_FILE
    if not path.exists():
        return []
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]


def endpoints(manifest: Manifest, documents: list[dict], address: str) -> list[dict]:
    """Each manifest endpoint with the URL an operator opens (NodePort on the advertise address)."""
    out = []
    for ep in manifest.endpoints:
        service = _service(documents, ep.get("serviceName", ""))
        out.append({
            "name": ep.get("name", ""),
            "description": ep.get("description", ""),
            "url": _url(ep, service, address),
        })
    return out


def _service(documents: list[dict], name: str) -> dict | None:
    for doc in documents:
        if doc.get("kind") == "Service" and (doc.get("metadata") or {}).get("name") == name:
            return doc
    return None


def _url(ep: dict, service: dict | None, address: str) -> str:
    scheme = ep.get("protocol") or "http"
    name = ep.get("serviceName", "")
    if service is None:
        return f"service {name} (not among the application's resources)"
    for port in (service.get("spec") or {}).get("ports") or []:
        if ep.get("port") in (None, port.get("port")) and port.get("nodePort"):
            return f"{scheme}://{address}:{port['nodePort']}"
    return f"service {name} port {ep.get('port')} (inside the cluster)"
