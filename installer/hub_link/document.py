"""What a site tells its hub: the payload of a check-in or report file (the envelope's fields are
listed in envelope.py), built from the state directory and the `status --json` document."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from installer.bundle.index import INDEX_NAME, Index
from installer.host import Host
from installer.hub_link.envelope import FORMAT, inventory_part, now_iso
from installer.services import ServiceManager
from installer.statedir import StateDir
from installer.status.install import install_status

HEX = re.compile(r"^[0-9a-f]{64}$")
REGISTRY_BLOBS = "docker/registry/v2/blobs/sha256"


def payload(kind: str, site: str, seq: int, interval_s: int, state_dir: Path, host: Host,
            services: ServiceManager, hub_holds: str | None = None) -> dict[str, Any]:
    """A check-in's or report's payload: the status document, the installed release, its blob
    inventory (its digest alone when that is `hub_holds`: envelope.py inventory_part) and the
    alerts the status document carries."""
    paths = StateDir(state_dir)
    status = install_status(host, services, state_dir)
    release = installed_release(paths)
    return {**header(kind, site, seq, interval_s),
            "application": release["name"] if release else ((status or {}).get("app") or {}).get("name"),
            "release": release, "status": status, "alerts": alerts(status),
            **inventory_part(inventory(paths), hub_holds)}


def header(kind: str, site: str, seq: int, interval_s: int) -> dict[str, Any]:
    return {"format": FORMAT, "kind": kind, "site": site, "seq": seq, "sent_at": now_iso(), "interval_s": interval_s}


def installed_release(paths: StateDir) -> dict[str, str] | None:
    """{name, version, index_sha256} of the bundle the install kept; None before it kept one."""
    try:
        data = (paths.bundle / INDEX_NAME).read_bytes()
        index = Index.from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {"name": index.name, "version": index.version, "index_sha256": hashlib.sha256(data).hexdigest()}


def alerts(status: dict[str, Any] | None) -> list[Any]:
    """The alerts firing, when the status document carries them (its `alerts`)."""
    found = (status or {}).get("alerts")
    return list(found) if isinstance(found, list) else []


def inventory(paths: StateDir) -> list[str]:
    """The sha256 of every blob the site holds: its blob store and its registry's storage, which
    tells the hub what a differential bundle may leave out."""
    found = {p.name for p in _children(paths.blobs / "sha256") if HEX.match(p.name) and p.is_file()}
    for prefix in _children(paths.registry_storage / REGISTRY_BLOBS):
        found |= {p.name for p in _children(prefix) if HEX.match(p.name) and (p / "data").is_file()}
    return sorted(found)


def _children(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []
