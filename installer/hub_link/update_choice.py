"""Which bundle of the next update to download: the differential one against the installed
release when the hub has it and the site may install it (signed by the vendor, or a site that
accepts unsigned bundles), else the full one. Pure: the hub's plan in, a choice out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from installer.errors import AirliftError


@dataclass(frozen=True)
class Choice:
    application: str
    version: str
    differential: bool
    path: str  # the API path the bundle's bytes are fetched from
    size: int  # the tarball's bytes
    full_size: int  # the full bundle's, to say what the differential saved
    index_sha256: str  # of the index the bundle must carry
    signed: bool
    base: str | None  # a differential bundle's base version
    why_full: str | None  # why the full bundle, when a differential one was not taken
    reason: str | None  # why this release and not the newest (a required one on the way)
    newest: str
    required: bool

    @property
    def kind(self) -> str:
        return f"differential bundle against {self.base}" if self.differential else "full bundle"

    @property
    def saved(self) -> int:
        return self.full_size - self.size


def choose(plan: dict[str, Any], force_full: bool, accepts_unsigned: bool) -> Choice | None:
    """The bundle to fetch of the plan's `next` release; None when the site is up to date."""
    nxt = plan.get("next")
    if not nxt:
        return None
    try:
        full, diff = nxt["full"], nxt.get("differential")
        common = {"application": str(nxt["application"]), "version": str(nxt["version"]),
                  "full_size": int(full["size"]), "reason": nxt.get("reason"), "newest": str(nxt["newest"]),
                  "required": bool(nxt.get("required"))}
        why_full = _why_full(diff, force_full, accepts_unsigned)
        if why_full is None:
            return Choice(**common, differential=True, path=str(diff["path"]), size=int(diff["size"]),
                          index_sha256=str(diff["index_sha256"]), signed=bool(diff["signed"]), base=str(diff["base"]),
                          why_full=None)
        return Choice(**common, differential=False, path=str(full["path"]), size=int(full["size"]),
                      index_sha256=str(full["index_sha256"]), signed=bool(full["signed"]), base=None,
                      why_full=why_full)
    except (KeyError, TypeError, ValueError) as e:
        raise AirliftError(f"The hub's answer about the next update cannot be read ({type(e).__name__}: {e})",
                           hint="the hub may be of another version than this installer; ask its operator") from None


def _why_full(diff: dict[str, Any] | None, force_full: bool, accepts_unsigned: bool) -> str | None:
    if force_full:
        return "--full was given"
    if not diff:
        return "the hub holds no differential bundle against the installed release (by its index sha256)"
    if not diff["signed"] and not accepts_unsigned:
        return ("the differential bundle is not signed by the vendor, and this site trusts only bundles signed by "
                "its pinned key")
    return None
