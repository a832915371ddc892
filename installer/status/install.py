"""`./install status`: what is installed, where the install stands and whether it is healthy.

It reads only the state directory and asks the services themselves (the registry's API, the
runtime), so it works without the bundle and changes nothing. The registry is asked as a node
pulls from it: trusting the install's CA and signed in with the install's credentials, for every
image of the bundle (their list is kept in the state directory by the /cluster-service phase).

One builder for both outputs: `./install status --json` prints this dict, the tables render it.
Shape (JSON-able):
  app:      {name, version}  the installed application (None values before the install kept them)
  runtime:  {name: "k3s", version, running, service, kubeconfig, nodes: [{name, ready}], error?}
  installer: {version}  the Airlift release of the installed bundle
  plan, registry: {url, answering, images: {count, problems} | None}, endpoints, answers
  nodes:    [{name, address, profile, first, ready, installer_version, app_version, runtime_version}]  this host
            (the first master) first, then the nodes that joined, with the versions their agents
            last reported
  operations: [{id, kind, node, state}]  the day-2 operations; join: {profile: command}
  cluster_service: whether airlift-cluster runs (None before the install completed)
  status_hook: {state, ok, detail, last}  the application's status hook as the cluster service last
            ran it (installer/status/status_hook.py); None when the manifest has none or before
            the install completed
  monitoring: {url, answering, alerts: [{name, severity, node, summary, since}] | None}  the alerts
            firing now (None while Prometheus does not answer), or None before /monitoring ran
  panel:    {url, running}  the control panel's link and whether airlift-panel runs (running None
            before the install completed)
  health:   [{check, ok, detail, impact}]  every health check, as the tables print them;
            condition: "healthy" | "degraded" | "down" and reasons: [text], the failing checks and
            the alerts firing (installer/status/health.py); healthy: bool (condition is healthy)
  hub:      {url, site_id, fingerprint, channel, last_check_in: {at, ok, state, error}, update:
            {version, required, via, channel, index_sha256} | None, downloaded: {application, version,
            kind, folder, at, required} | None (./install update download), last_report, disconnected_by_hub}
            | None  the link with the vendor's hub (installer/hub_link/link.py), as the last check-in
  support:  {open, until, allow, closed_by, state (opening|connected|reconnecting|closed), error} | None:
            the remote-support grant and its tunnel (installer/support/grant.py)
            left it; None when the site is not linked
  licence:  {customer, id, nodes, max_nodes, expires, expired, channel, features} | {error} | None
            (installer/site_licence.py); an expired licence does not make the install unhealthy:
            the application keeps running, only upgrades are refused
"""

from __future__ import annotations

import time
from pathlib import Path

from installer import answers as answers_mod
from installer import site_licence
from installer.answers import Answers
from installer.app_documents import endpoints, load_documents
from installer.bundle import Bundle, BundleError, ImageInfo
from installer.bundle.index import INDEX_NAME, Index
from installer.host import Host
from installer.hub_link.link import link_status
from installer.manifest import Manifest, load_manifest
from installer.monitoring.alerts import firing_alerts
from installer.monitoring.settings import MonitoringSettings
from installer.panel_access.address import panel_url
from installer.plan import Plan, PlanStore
from installer.registry import Registry
from installer.runtime import K3sRuntime
from installer.runtime.version import installed_k3s_version
from installer.services import ServiceManager
from installer.statedir import StateDir
from installer.status.cluster import cluster_status
from installer.status.health import health_checks, health_word
from installer.status.status_hook import hook_health, read_record
from installer.support.grant import support_status


def install_status(host: Host, services: ServiceManager, state_dir: Path) -> dict | None:
    """Everything `status` shows; None when nothing is installed in state_dir."""
    plan = PlanStore(state_dir).load()
    if plan is None:
        return None
    paths = StateDir(state_dir)
    answers = answers_mod.saved(paths.answers) if paths.answers.exists() else answers_mod.Answers()
    registry = Registry(host, services, state_dir, port=answers.registry_port,
                        address=answers.advertise_addr or "127.0.0.1")
    kept = _kept_index(paths)
    manifest = load_manifest(paths.app_manifest) if paths.app_manifest.exists() else None
    runtime = K3sRuntime(host, services, state_dir).status()
    eps = (endpoints(manifest, load_documents(paths.app), answers.advertise_addr or "")
           if manifest is not None and _app_installed(plan) else [])
    cluster = cluster_status(services, state_dir, answers, manifest if plan.state == "completed" else None)
    ready = {n["name"]: n["ready"] for n in runtime.get("nodes", [])}
    this = _this_node(host, plan, answers, kept)
    status = {
        "app": _app(kept, manifest),
        "runtime": {"name": "k3s", "version": kept.k3s_version if kept else None,
                    **{k: v for k, v in runtime.items() if k != "runtime"}},
        "installer": {"version": kept.airlift_version if kept else None},
        "plan": plan.to_dict(),
        "registry": _registry_status(registry, paths),
        "endpoints": eps,
        "answers": answers.to_dict(),
        "nodes": [{**n, "ready": ready.get(n["name"])} for n in (this, *cluster["nodes"])],
        "operations": cluster["operations"],
        "join": cluster["join"],
        "cluster_service": cluster["service"],
        "status_hook": _status_hook(paths, manifest if plan.state == "completed" else None),
        "monitoring": _monitoring(plan, answers),
        "panel": {"url": panel_url(answers.advertise_addr or "127.0.0.1", answers.panel_port),
                  "running": cluster["panel"]},
    }
    status["licence"] = site_licence.status(state_dir, len(status["nodes"]))
    status["hub"] = link_status(paths)
    status["support"] = support_status(paths)
    status["health"] = health_checks(status)
    alerts = (status.get("monitoring") or {}).get("alerts") or []
    status["condition"], status["reasons"] = health_word(status["health"], plan.state == "completed", alerts)
    status["healthy"] = status["condition"] == "healthy"
    return status


def _status_hook(paths: StateDir, manifest: Manifest | None) -> dict | None:
    """The status hook's last result, when the installed manifest has one."""
    if manifest is None or "status" not in manifest.hooks:
        return None
    return hook_health(read_record(paths.status_hook), time.time())


def _monitoring(plan: Plan, answers: Answers) -> dict | None:
    """The firing alerts, once /monitoring started Prometheus."""
    if not any(p.id == "/monitoring" and p.state == "completed" for p in plan.phases):
        return None
    url = MonitoringSettings.from_answers(answers).prometheus_url
    alerts = firing_alerts(url)
    return {"url": url, "answering": alerts is not None, "alerts": alerts}


def _app(kept: Index | None, manifest: Manifest | None) -> dict:
    """The installed application's name and version: from the kept index, else the manifest
    (an install that has not reached /cluster-service yet)."""
    if kept is not None:
        return {"name": kept.name, "version": kept.version}
    if manifest is not None:
        return {"name": manifest.name, "version": manifest.version}
    return {"name": None, "version": None}


def _this_node(host: Host, plan: Plan, answers: Answers, kept: Index | None) -> dict:
    """The first master: the install ran here; its k3s answers for its release itself."""
    return {"name": str(plan.phases[0].node), "address": answers.advertise_addr, "profile": answers.profile,
            "first": True, "installer_version": kept.airlift_version if kept else None,
            "app_version": kept.version if kept else None,
            "runtime_version": installed_k3s_version(host) or (kept.k3s_version if kept else None)}


def _registry_status(registry: Registry, paths: StateDir) -> dict:
    """{url, answering, images: {count, problems} | None}: images is None until the bundle's image
    list is kept."""
    answering = registry.answering()
    images = _kept_images(paths)
    if images is None:
        return {"url": registry.url, "answering": answering, "images": None}
    problems = registry.image_problems(images) if answering else ["the registry does not answer"]
    return {"url": registry.url, "answering": answering, "images": {"count": len(images), "problems": problems}}


def _kept_index(paths: StateDir) -> Index | None:
    """The installed bundle's index, as the install kept it; None before /cluster-service kept it.
    Its k3s_version is None for a bundle built before the version was recorded."""
    try:
        return Index.from_json((paths.bundle / INDEX_NAME).read_bytes())
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _kept_images(paths: StateDir) -> list[ImageInfo] | None:
    if not (paths.bundle / INDEX_NAME).is_file():
        return None
    try:
        return Bundle.open(paths.bundle).images()
    except (BundleError, OSError, ValueError, KeyError):
        return None


def _app_installed(plan: Plan) -> bool:
    """Endpoints are shown once the application is installed, not while its install is unfinished."""
    return any(p.id == "/app" and p.state == "completed" for p in plan.phases)
