"""`./install status`: where the install stands and whether its services are healthy.

It reads only the state directory and asks the services themselves (the registry's API, the
runtime), so it works without the bundle and changes nothing. The registry is asked as a node
pulls from it: trusting the install's CA and signed in with the install's credentials, for every
image of the bundle (their list is kept in the state directory by the /cluster phase).
"""

from __future__ import annotations

from pathlib import Path

from installer import answers as answers_mod
from installer.app_documents import endpoints, load_documents
from installer.bundle import Bundle, BundleError, ImageInfo
from installer.bundle.index import INDEX_NAME, Index
from installer.host import Host
from installer.manifest import load_manifest
from installer.plan import Plan, PlanStore
from installer.registry import Registry
from installer.runtime import K3sRuntime
from installer.services import ServiceManager
from installer.statedir import StateDir
from installer.status.cluster import cluster_status


def install_status(host: Host, services: ServiceManager, state_dir: Path) -> dict | None:
    """The plan, service health and endpoints; None when nothing is installed in state_dir."""
    plan = PlanStore(state_dir).load()
    if plan is None:
        return None
    paths = StateDir(state_dir)
    saved = paths.answers
    answers = answers_mod.saved(saved) if saved.exists() else answers_mod.Answers()
    registry = Registry(host, services, state_dir, port=answers.registry_port,
                        address=answers.advertise_addr or "127.0.0.1")
    runtime = K3sRuntime(host, services, state_dir).status()
    manifest = load_manifest(paths.app_manifest) if paths.app_manifest.exists() else None
    eps = (endpoints(manifest, load_documents(paths.app), answers.advertise_addr or "")
           if manifest is not None and _app_installed(plan) else [])
    return {
        "plan": plan.to_dict(),
        "registry": _registry_status(registry, paths),
        "runtime": {**runtime, "k3s_version": _k3s_version(paths)},
        "endpoints": eps,
        "answers": answers.to_dict(),
        "cluster": cluster_status(services, state_dir, answers, manifest if plan.state == "completed" else None),
    }


def _registry_status(registry: Registry, paths: StateDir) -> dict:
    """{url, answering, images: {count, problems} | None}: images is None until the bundle's image
    list is kept."""
    answering = registry.answering()
    images = _kept_images(paths)
    if images is None:
        return {"url": registry.url, "answering": answering, "images": None}
    problems = registry.image_problems(images) if answering else ["the registry does not answer"]
    return {"url": registry.url, "answering": answering, "images": {"count": len(images), "problems": problems}}


def _k3s_version(paths: StateDir) -> str | None:
    """The k3s release the installed bundle carries, from the index the install kept; None for a
    bundle built before the version was recorded, or before the install kept its index."""
    try:
        return Index.from_json((paths.bundle / INDEX_NAME).read_bytes()).k3s_version
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
