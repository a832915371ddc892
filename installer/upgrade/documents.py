"""The Kubernetes part of an upgrade's diff: the application's resources and its hook Jobs that
come, go or change, each change with a unified diff an operator can read.

A resource is known by kind, namespace and name, so a Deployment whose image moves to 1.1.0
is one changed resource, not one removed and one added.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import yaml


@dataclass(frozen=True)
class DocumentChange:
    """A resource or hook that changed: its name and the unified diff from old to new."""

    name: str
    diff: str


@dataclass(frozen=True)
class DocumentChanges:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[DocumentChange, ...]


def resource_name(doc: dict) -> str:
    """`Deployment default/hello-web`, or `ClusterRole reader` for a resource without namespace."""
    meta = doc.get("metadata") or {}
    namespace = meta.get("namespace")
    name = f"{namespace}/{meta.get('name', '')}" if namespace else str(meta.get("name", ""))
    return f"{doc.get('kind', '?')} {name}"


def resource_changes(old: list[dict], new: list[dict], versions: tuple[str, str]) -> DocumentChanges:
    """Compare the installed resources with the new bundle's, by kind, namespace and name."""
    return compare({resource_name(d): d for d in old}, {resource_name(d): d for d in new}, versions)


def compare(old: dict[str, dict], new: dict[str, dict], versions: tuple[str, str]) -> DocumentChanges:
    """Named documents (resources, or hooks by hook name) added, removed and changed."""
    changed = tuple(DocumentChange(name, unified_diff(old[name], new[name], name, versions))
                    for name in sorted(set(old) & set(new)) if old[name] != new[name])
    return DocumentChanges(added=tuple(sorted(set(new) - set(old))), removed=tuple(sorted(set(old) - set(new))),
                           changed=changed)


def unified_diff(old: dict, new: dict, name: str, versions: tuple[str, str]) -> str:
    """The two documents as YAML, diffed line by line; the headers name the versions."""
    before = yaml.safe_dump(old, sort_keys=False).splitlines(keepends=True)
    after = yaml.safe_dump(new, sort_keys=False).splitlines(keepends=True)
    return "".join(difflib.unified_diff(before, after, f"{name} ({versions[0]})", f"{name} ({versions[1]})"))
