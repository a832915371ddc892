"""Flavors: the cluster shapes the operator picks from. Every flavor must name defined
profiles with non-negative counts; without flavors, Gravity's default of one node applies."""

from __future__ import annotations

from typing import Any

from installer.manifest.models import Flavor, FlavorNode, NodeProfile
from installer.manifest.problems import Problems
from installer.manifest.shapes import as_dict, as_list, as_str

DEFAULT_FLAVOR = "one-node"


def parse_flavors(
    raw: Any, profiles: dict[str, NodeProfile], problems: Problems,
) -> tuple[list[Flavor], str | None, str]:
    """(flavors, default flavor name, prompt) from `installer.flavors`."""
    section = as_dict(raw)
    items = as_list(section.get("items"))
    prompt = as_str(section.get("prompt"))
    if not items:
        first = next(iter(profiles))
        return [Flavor(DEFAULT_FLAVOR, "A single node", (FlavorNode(first, 1),))], DEFAULT_FLAVOR, prompt
    flavors: list[Flavor] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        path = f"installer.flavors.items[{i}]"
        if any(f.name == item["name"] for f in flavors):
            problems.add(f"{path}.name", f'flavor "{item["name"]}" is defined twice')
            continue
        nodes = _nodes(item.get("nodes"), f"{path}.nodes", profiles, problems)
        if isinstance(item.get("nodes"), list) and _all_zero(item["nodes"]):
            problems.add(f"{path}.nodes", f'flavor "{item["name"]}" has no nodes')
        flavors.append(Flavor(item["name"], as_str(item.get("description")), nodes))
    return flavors, _default(section.get("default"), flavors, problems), prompt


def _nodes(raw: Any, path: str, profiles: dict[str, NodeProfile], problems: Problems) -> tuple[FlavorNode, ...]:
    out: list[FlavorNode] = []
    for j, node in enumerate(as_list(raw)):
        if not isinstance(node, dict):
            continue
        profile, count = node.get("profile"), node.get("count")
        good = True
        if isinstance(profile, str) and profile not in profiles:
            known = ", ".join(sorted(profiles))
            problems.add(f"{path}[{j}].profile", f'"{profile}" is not a node profile (defined: {known})')
            good = False
        if isinstance(count, int) and not isinstance(count, bool) and count < 0:
            problems.add(f"{path}[{j}].count", f"{count} is negative")
            good = False
        if good and isinstance(profile, str) and isinstance(count, int):
            out.append(FlavorNode(profile, count))
    return tuple(out)


def _all_zero(nodes: list) -> bool:
    """True when the flavor asks for no host at all (and is not already wrong in another way)."""
    return all(isinstance(n, dict) and n.get("count") == 0 for n in nodes)


def _default(raw: Any, flavors: list[Flavor], problems: Problems) -> str | None:
    if isinstance(raw, str):
        if not any(f.name == raw for f in flavors):
            known = ", ".join(f.name for f in flavors)
            problems.add("installer.flavors.default", f'"{raw}" is not a flavor (defined: {known})')
            return None
        return raw
    return flavors[0].name if flavors else None
