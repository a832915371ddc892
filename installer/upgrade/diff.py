"""UpgradeDiff: everything an upgrade will change, worked out before anything does.

The operator reads it (render.py) before saying yes, `--dry-run` prints it and stops, and the
upgrade operation (run.py) takes it as its brief: the images to push, the resources to apply and
to remove, whether the runtime moves, which hooks run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from installer.app_documents import application_documents
from installer.bundle import Bundle, IndexEntry
from installer.manifest import Manifest
from installer.upgrade.documents import DocumentChange, compare, resource_changes
from installer.upgrade.images import ImageChange, image_changes
from installer.upgrade.installed import Installed
from installer.upgrade.profiles import NodeFit, ProfileChange, node_fits, profile_changes
from installer.upgrade.refusals import bundle_base

RUNTIME_DIR = "runtime/"


@dataclass(frozen=True)
class UpgradeDiff:
    """What moves from the installed version to the new bundle's.

    `new_bytes` counts each image blob the registry lacks once; `runtime_changed` is true when
    the k3s release or any runtime file differs (each node's k3s is then replaced); `base` is a
    differential bundle's {name, version, index_sha256} (None for a full bundle); `nodes` says
    for every installed node whether it meets its profile in the new version.
    """

    app: str
    from_version: str
    to_version: str
    release_notes: str | None
    images_added: tuple[ImageChange, ...]
    images_removed: tuple[ImageChange, ...]
    images_changed: tuple[ImageChange, ...]
    new_bytes: int
    resources_added: tuple[str, ...]
    resources_removed: tuple[str, ...]
    resources_changed: tuple[DocumentChange, ...]
    hooks_added: tuple[str, ...]
    hooks_removed: tuple[str, ...]
    hooks_changed: tuple[DocumentChange, ...]
    runtime_from: str | None
    runtime_to: str | None
    runtime_changed: bool
    installer_from: str
    installer_to: str
    profiles_changed: tuple[ProfileChange, ...]
    nodes: tuple[NodeFit, ...]
    differential: bool
    base: dict | None

    @property
    def nodes_failing(self) -> tuple[NodeFit, ...]:
        """The installed nodes that do not meet their profile in the new version."""
        return tuple(n for n in self.nodes if n.meets is False)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (tuples as lists)."""
        return dataclasses.asdict(self)

    def render(self) -> str:
        """The diff as the terminal shows it before asking."""
        from installer.upgrade.render import render_diff

        return render_diff(self)


def build_diff(new: Bundle, new_manifest: Manifest, installed: Installed) -> UpgradeDiff:
    """Compare the new bundle (verified, full or differential) with what is installed."""
    versions = (installed.version, new.version)
    images = image_changes(new, installed.bundle)
    resources = resource_changes(installed.documents, application_documents(new, new_manifest), versions)
    hooks = compare(installed.manifest.hooks, new_manifest.hooks, versions)
    base = bundle_base(new)
    return UpgradeDiff(
        app=new.name, from_version=installed.version, to_version=new.version,
        release_notes=new_manifest.release_notes,
        images_added=images.added, images_removed=images.removed, images_changed=images.changed,
        new_bytes=images.new_bytes,
        resources_added=resources.added, resources_removed=resources.removed, resources_changed=resources.changed,
        hooks_added=hooks.added, hooks_removed=hooks.removed, hooks_changed=hooks.changed,
        runtime_from=installed.bundle.index.k3s_version, runtime_to=new.index.k3s_version,
        runtime_changed=_runtime_changed(new, installed.bundle),
        installer_from=installed.bundle.index.airlift_version, installer_to=new.index.airlift_version,
        profiles_changed=profile_changes(installed.manifest, new_manifest),
        nodes=node_fits(installed.nodes, installed.manifest, new_manifest, installed.answers.skip_checks),
        differential=base is not None, base=base)


def _runtime_changed(new: Bundle, installed: Bundle) -> bool:
    """The k3s release differs, or a runtime file both indexes list has other content (a
    differential bundle may not list the runtime files its base had: those are unchanged)."""
    if new.index.k3s_version != installed.index.k3s_version:
        return True
    old = {e.path: _content(e) for e in installed.files(RUNTIME_DIR)}
    return any(e.path in old and old[e.path] != _content(e) for e in new.files(RUNTIME_DIR))


def _content(entry: IndexEntry) -> str:
    return entry.zstd.sha256 if entry.zstd else entry.sha256
