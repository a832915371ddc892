"""The node profiles part of an upgrade's diff: requirements that changed, and whether each
installed node still meets its profile in the new version.

A node is judged on the facts its checks gathered when it was installed (this host's facts.json,
each joined node's `facts/<node>.json`), against the new profile. Only checks that pass (or are
skipped) under the installed profile and fail under the new one are reported: those are what the
new version asks that this node may not give. The upgrade's own /checks phase measures every node
again before anything changes.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from installer.checks import run_checks
from installer.checks.result import size
from installer.facts import Facts
from installer.manifest import Manifest
from installer.manifest.models import NodeProfile
from installer.upgrade.installed import InstalledNode

SIZE_FIELDS = ("ram_min", "ram_max", "min_transfer_rate")
LABELS = {"cpu_min": "CPU minimum", "cpu_max": "CPU maximum", "ram_min": "RAM minimum", "ram_max": "RAM maximum",
          "os": "operating systems", "min_transfer_rate": "minimum transfer rate", "custom_checks": "custom checks",
          "service_role": "service role", "expand_policy": "expand policy"}


@dataclass(frozen=True)
class FieldChange:
    """One setting of a profile, before and after, in words (RAM minimum: 512.0 MiB -> 1.0 GiB)."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class ProfileChange:
    """A profile added, removed or changed (with the settings that changed)."""

    name: str
    status: str  # "added" | "removed" | "changed"
    changes: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class NodeFit:
    """Whether an installed node meets its profile in the new version: `meets` None when its facts
    were not saved (a node installed by an older installer); `failures` are "check-id: message"."""

    name: str
    profile: str
    meets: bool | None
    failures: tuple[str, ...] = ()
    note: str = ""


def profile_changes(old: Manifest, new: Manifest) -> tuple[ProfileChange, ...]:
    out = [ProfileChange(name, "added") for name in sorted(set(new.profiles) - set(old.profiles))]
    out += [ProfileChange(name, "removed") for name in sorted(set(old.profiles) - set(new.profiles))]
    for name in sorted(set(old.profiles) & set(new.profiles)):
        changes = _field_changes(old.profiles[name], new.profiles[name])
        if changes:
            out.append(ProfileChange(name, "changed", changes))
    return tuple(out)


def _field_changes(old: NodeProfile, new: NodeProfile) -> tuple[FieldChange, ...]:
    """Requirements field by field, then the profile's own settings (labels, taints, role)."""
    pairs = [(f.name, getattr(old.requirements, f.name), getattr(new.requirements, f.name))
             for f in dataclasses.fields(old.requirements)]
    pairs += [(f.name, getattr(old, f.name), getattr(new, f.name)) for f in dataclasses.fields(old)
              if f.name not in ("name", "description", "requirements")]
    return tuple(FieldChange(LABELS.get(name, name), _text(name, a), _text(name, b)) for name, a, b in pairs if a != b)


def _text(name: str, value: Any) -> str:
    if value is None or value == () or value == {}:
        return "none"
    if name in SIZE_FIELDS:
        return size(value)
    if isinstance(value, tuple):
        return "; ".join(_item(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
    return str(value)


def _item(value: Any) -> str:
    """One requirement entry in words: its fields that are set, sizes as sizes."""
    if not dataclasses.is_dataclass(value):
        return str(value)
    parts = []
    for f in dataclasses.fields(value):
        v = getattr(value, f.name)
        if v is None or v == () or v == f.default:
            continue
        shown = size(v) if f.name in ("capacity", "min_transfer_rate") else ",".join(v) if isinstance(v, tuple) else v
        parts.append(f"{f.name}={shown}")
    return " ".join(parts)


def node_fits(nodes: tuple[InstalledNode, ...], old: Manifest, new: Manifest, skip: list[str]) -> tuple[NodeFit, ...]:
    return tuple(_fit(node, old, new, skip) for node in nodes)


def _fit(node: InstalledNode, old: Manifest, new: Manifest, skip: list[str]) -> NodeFit:
    profile = new.profiles.get(node.profile)
    if profile is None:
        return NodeFit(node.name, node.profile, False,
                       (f"profile: {new.name} {new.version} has no node profile {node.profile}",))
    try:
        facts = Facts.from_dict(json.loads(node.facts.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return NodeFit(node.name, node.profile, None, note=f"no facts of {node.name} were saved at install")
    before = old.profiles.get(node.profile)
    failed_before = ({r.id for r in run_checks(facts, before, skip) if r.status == "fail"}
                     if before is not None else set())
    failures = tuple(f"{r.id}: {r.message}" for r in run_checks(facts, profile, skip)
                     if r.status == "fail" and r.id not in failed_before)
    return NodeFit(node.name, node.profile, not failures, failures)
