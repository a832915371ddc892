"""What one node puts in the support report: its state files, its services' logs (k3s's among
them), its disk and memory, and its host checks run again now.

The same code runs on the first master (for itself) and in a node's agent (the `report` task), so
every node's folder in the report has the same layout:

    state/     answers, plan and its change log, events, facts, nodes, operations (upgrades too), logs
    logs/      each Airlift service's log: the journal under systemd, the supervisor's file otherwise
    system/    disk.json, memory.json, checks-now.json (the host checks as they stand now), versions.json

Files are text, cut to their last MAX_FILE_BYTES (a note at the top says what was left out).
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import psutil

from installer.checks import run_checks
from installer.errors import AirliftError
from installer.facts import ClusterSettings, gather_facts
from installer.host import Host
from installer.manifest import Manifest, load_manifest
from installer.manifest.models import NodeProfile
from installer.node_agent.identity import versions
from installer.readfile import read_text
from installer.runtime.k3s_files import K3sPaths
from installer.services import ServiceManager
from installer.services.names import AGENT, CONTROLLER, K3S_AGENT, K3S_SERVER, MONITORING, PANEL, REGISTRY
from installer.statedir import RunFolder, StateDir

MAX_FILE_BYTES = 2 << 20
LOG_LINES = 20000
SERVICES = (CONTROLLER, PANEL, AGENT, REGISTRY, *MONITORING, K3S_SERVER, K3S_AGENT)
# Checks that judge a host before the install (nothing listening on its ports, no k3s running, no
# k3s files, no CNI interfaces, no route in the pod range): on an installed node they fail by design.
BEFORE_INSTALL_ONLY = ("ports", "processes", "leftovers", "interfaces", "address-ranges", "state-dir")

Files = dict[str, str]


def collect_node(host: Host, services: ServiceManager, state_dir: Path, profile: str | None) -> Files:
    """This node's part of the report, as {path inside the node's folder: text}."""
    files: Files = {}
    files.update(state_files(state_dir))
    files.update(service_logs(services))
    files["system/disk.json"] = _json(disk_usage(host, state_dir, _manifest(state_dir), profile))
    files["system/memory.json"] = _json(memory())
    files["system/versions.json"] = _json(versions(host, state_dir))
    files["system/checks-now.json"] = _json(checks_now(host, state_dir, profile))
    return {path: clip(text) for path, text in files.items()}


def state_files(state_dir: Path) -> Files:
    """The state folder's records, as `state/<path>`; never its secrets (tokens, keys, credentials)
    nor its bulk (registry storage, blobs, the kept bundle and installer)."""
    paths = StateDir(state_dir)
    wanted = [paths.answers, paths.facts, paths.nodes, paths.received_manifest, paths.app_manifest,
              *_run_files(paths), *_glob(paths.root / "facts", "*.json"), *_glob(paths.logs, "*"),
              paths.wizard_log]
    for folder in _glob(paths.operations, "*"):
        op = paths.operation(folder.name)
        wanted += [op.meta, *_run_files(op)]
    files: Files = {}
    for path in wanted:
        text = read_text(path) if path.is_file() else None
        if text is not None:
            files[f"state/{path.relative_to(paths.root)}"] = text
    return files


def _run_files(folder: RunFolder) -> list[Path]:
    return [folder.plan, folder.plan_log, folder.events]


def service_logs(services: ServiceManager) -> Files:
    """Each Airlift service's log on this node (k3s's is k3s.log or k3s-agent.log)."""
    files: Files = {}
    for name in SERVICES:
        text = services.log_tail(name, LOG_LINES)
        if text:
            files[f"logs/{name}.log"] = f"# {services.log_where(name)}\n{text}\n"
    return files


def disk_usage(host: Host, state_dir: Path, manifest: Manifest | None, profile: str | None) -> list[dict]:
    """Space and inodes of the file systems holding the state, k3s's data, the volumes and /."""
    places = {"state": Path(state_dir), "k3s data": K3sPaths.of(host).data_dir, "root": host.path("/")}
    node_profile = manifest.profiles.get(profile or "") if manifest else None
    for volume in node_profile.requirements.volumes if node_profile else ():
        places[f"volume {volume.path}"] = host.path(volume.path)
    out = []
    for label, path in places.items():
        existing = _existing(path)
        usage, stats = psutil.disk_usage(str(existing)), os.statvfs(existing)
        inodes = 100.0 * (stats.f_files - stats.f_ffree) / stats.f_files if stats.f_files else 0.0
        out.append({"what": label, "path": str(path), "measured_at": str(existing), "total": usage.total,
                    "used": usage.used, "free": usage.free, "percent": usage.percent,
                    "inodes_percent": round(inodes, 1)})
    return out


def memory() -> dict:
    return {"memory": psutil.virtual_memory()._asdict(), "swap": psutil.swap_memory()._asdict(),
            "load_average": list(os.getloadavg()), "cpus": psutil.cpu_count()}


def checks_now(host: Host, state_dir: Path, profile: str | None) -> dict:
    """The host checks against this node's profile as they stand now; those that only hold before
    an install are left out (listed as such)."""
    manifest = _manifest(state_dir)
    node_profile: NodeProfile | None = manifest.profiles.get(profile or "") if manifest else None
    if node_profile is None:
        return {"results": [], "not_run": f"the node's profile ({profile or 'unknown'}) is not in the kept manifest"}
    try:
        facts = gather_facts(host, node_profile, state_dir, ports=[],
                             cluster=ClusterSettings(server=node_profile.service_role == "master"))
    except (AirliftError, OSError) as exc:
        return {"results": [], "not_run": f"the facts could not be gathered: {exc}"}
    results = [dataclasses.asdict(r) for r in run_checks(facts, node_profile, BEFORE_INSTALL_ONLY)
               if r.status != "skipped"]
    return {"profile": profile, "results": results, "left_out": list(BEFORE_INSTALL_ONLY)}


def clip(text: str, limit: int = MAX_FILE_BYTES) -> str:
    """The last `limit` bytes of `text` (logs grow at the end, so the end is what matters)."""
    data = text.encode("utf-8", errors="replace")
    if len(data) <= limit:
        return text
    kept = data[-limit:].decode("utf-8", errors="ignore")
    return f"# ... the first {len(data) - limit} bytes are left out of the report\n{kept}"


def _manifest(state_dir: Path) -> Manifest | None:
    paths = StateDir(state_dir)
    for path in (paths.app_manifest, paths.received_manifest):
        if path.is_file():
            try:
                return load_manifest(path)
            except AirliftError:
                return None
    return None


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _glob(folder: Path, pattern: str) -> list[Path]:
    return sorted(p for p in folder.glob(pattern)) if folder.is_dir() else []


def _json(data: object) -> str:
    return json.dumps(data, indent=1, default=str) + "\n"
