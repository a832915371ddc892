"""Manifest problems: every one is collected with its path and reported together, so a vendor
fixes the whole file in one pass instead of one error per build."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from installer.errors import AirliftError


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the manifest, at `path` (e.g. `nodeProfiles[0].requirements.ram.min`)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ManifestError(AirliftError):
    """The manifest cannot be used; `problems` lists every reason at once."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(
            f"{source}: {count} {noun} in the manifest",
            details="\n".join(f"  {p}" for p in problems),
            hint="fix each field listed above (the schema is installer/manifest/schema/bundle-v2.json)",
        )
        self.source = source
        self.problems = problems


def join_path(parts: Iterable[str | int]) -> str:
    """Render a path the way vendors read YAML: `nodeProfiles[0].requirements.ram.min`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class Problems:
    """Collector handed to every validator; `add` never raises, so all problems are found."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(Problem(path, message))

    def __bool__(self) -> bool:
        return bool(self.items)
