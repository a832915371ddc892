"""The upgrade's diff as plain text: what the operator reads before saying yes.

Plain text, no markup: resource diffs and image references hold brackets and colons a terminal
renderer would take for markup or emoji.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from installer.checks.result import size
from installer.upgrade.documents import DocumentChange
from installer.upgrade.images import ImageChange

if TYPE_CHECKING:
    from installer.upgrade.diff import UpgradeDiff

INDENT = "    "


def render_diff(diff: UpgradeDiff) -> str:
    lines = [_title(diff), ""]
    lines += _release_notes(diff.release_notes)
    lines += _images(diff)
    lines += _documents("Kubernetes resources", diff.resources_added, diff.resources_removed,
                        diff.resources_changed)
    lines += _documents("Hooks", diff.hooks_added, diff.hooks_removed, diff.hooks_changed)
    lines += _runtime(diff)
    lines += _profiles(diff)
    lines += _nodes(diff)
    return "\n".join(lines).rstrip() + "\n"


def _title(diff: UpgradeDiff) -> str:
    kind = ""
    if diff.differential and diff.base:
        kind = f" (differential bundle on {diff.base.get('name', '?')} {diff.base.get('version', '?')})"
    return f"Upgrade {diff.app} {diff.from_version} → {diff.to_version}{kind}"


def _release_notes(notes: str | None) -> list[str]:
    if not notes or not notes.strip():
        return ["Release notes: none given", ""]
    return ["Release notes:", *(f"  {line}".rstrip() for line in notes.strip().splitlines()), ""]


def _images(diff: UpgradeDiff) -> list[str]:
    counts = _counts(diff.images_added, diff.images_removed, diff.images_changed)
    if not counts:
        return ["Images: unchanged", ""]
    lines = [f"Images: {counts}; {size(diff.new_bytes)} of new data for the registry"]
    lines += [f"  + {i.ref}  ({_new(i)})" for i in diff.images_added]
    lines += [f"  ~ {_image_change(i)}  ({_new(i)})" for i in diff.images_changed]
    lines += [f"  - {i.ref}" for i in diff.images_removed]
    return [*lines, ""]


def _image_change(image: ImageChange) -> str:
    if image.from_ref and image.from_ref != image.ref:
        return f"{image.from_ref} → {image.ref}"
    return f"{image.ref} (new content {image.digest[:19]})"


def _new(image: ImageChange) -> str:
    return f"{size(image.new_bytes)} new" if image.new_bytes else "no new data"


def _documents(title: str, added: tuple[str, ...], removed: tuple[str, ...],
               changed: tuple[DocumentChange, ...]) -> list[str]:
    counts = _counts(added, removed, changed)
    if not counts:
        return [f"{title}: unchanged", ""]
    lines = [f"{title}: {counts}"]
    lines += [f"  + {name}" for name in added]
    lines += [f"  - {name}" for name in removed]
    for change in changed:
        lines.append(f"  ~ {change.name}")
        lines += [f"{INDENT}{line}" for line in change.diff.splitlines()]
    return [*lines, ""]


def _runtime(diff: UpgradeDiff) -> list[str]:
    before, after = diff.runtime_from or "unknown version", diff.runtime_to or "unknown version"
    if diff.runtime_changed:
        runtime = f"Runtime: k3s {before} → {after} (replaced on every node, one at a time, masters first)"
    else:
        runtime = f"Runtime: k3s {after}, unchanged (no node restarts its k3s)"
    installer = (f"Installer: Airlift {diff.installer_from} → {diff.installer_to}"
                 if diff.installer_from != diff.installer_to else f"Installer: Airlift {diff.installer_to}, unchanged")
    return [runtime, installer, ""]


def _profiles(diff: UpgradeDiff) -> list[str]:
    if not diff.profiles_changed:
        return ["Node profiles: unchanged", ""]
    lines = ["Node profiles:"]
    for profile in diff.profiles_changed:
        mark = {"added": "+", "removed": "-"}.get(profile.status, "~")
        lines.append(f"  {mark} {profile.name}")
        lines += [f"{INDENT}{c.field}: {c.before} → {c.after}" for c in profile.changes]
    return [*lines, ""]


def _nodes(diff: UpgradeDiff) -> list[str]:
    if not diff.nodes:
        return []
    failing = len(diff.nodes_failing)
    verdict = "every node meets its profile" if not failing else f"{failing} node(s) do not meet their profile"
    lines = [f"Nodes against the new profiles ({verdict}; from the facts saved when each node was installed):"]
    for node in diff.nodes:
        mark = {True: "✓", False: "✗", None: "?"}[node.meets]
        lines.append(f"  {mark} {node.name} ({node.profile})" + (f": {node.note}" if node.note else ""))
        lines += [f"{INDENT}{failure}" for failure in node.failures]
    return [*lines, ""]


def _counts(added: tuple, removed: tuple, changed: tuple) -> str:
    parts = [f"{len(added)} added" if added else "", f"{len(changed)} changed" if changed else "",
             f"{len(removed)} removed" if removed else ""]
    return ", ".join(p for p in parts if p)
