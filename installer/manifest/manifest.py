"""The Manifest object every part of Airlift reads (see docs/contracts.md)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from installer.errors import AirliftError
from installer.manifest.models import Flavor, NodeProfile


@dataclass
class Manifest:
    """A validated manifest with every `file://` value already read."""

    raw: dict[str, Any]
    base_dir: Path
    kind: str
    name: str
    version: str
    description: str
    author: str
    logo: str | None
    release_notes: str | None
    eula: str | None
    profiles: dict[str, NodeProfile]
    flavors: list[Flavor]
    default_flavor: str | None
    flavor_prompt: str
    endpoints: list[dict[str, Any]]
    hooks: dict[str, dict[str, Any]]
    hook_sources: dict[str, str] = field(default_factory=dict)
    report_redact: list[str] = field(default_factory=list)  # the vendor's patterns (report.redact)
    warnings: list[str] = field(default_factory=list)

    def flavor(self, name: str) -> Flavor:
        """The flavor called `name`; an AirliftError lists the defined ones otherwise."""
        for flavor in self.flavors:
            if flavor.name == name:
                return flavor
        known = ", ".join(f.name for f in self.flavors)
        raise AirliftError(f'flavor "{name}" is not defined by {self.name} {self.version}',
                           hint=f"pick one of: {known}")

    def to_resolved_dict(self) -> dict[str, Any]:
        """The manifest with `file://` values inlined (logo as a data: URI, hook jobs as YAML text):
        written as the bundle's app.yaml, which load_manifest reads back unchanged."""
        doc = copy.deepcopy(self.raw)
        if self.logo is not None:
            doc["logo"] = self.logo
        if self.release_notes is not None:
            doc["releaseNotes"] = self.release_notes
        if self.eula is not None:
            doc["installer"]["eula"]["source"] = self.eula
        for name, text in self.hook_sources.items():
            doc["hooks"][name]["job"] = text
        return doc
