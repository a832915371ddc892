"""The upgrades and rollbacks of an install, and the one that must be carried on first."""

from __future__ import annotations

from pathlib import Path

from installer.plan import PlanStore
from installer.statedir import OperationFolder, StateDir
from installer.upgrade.record import KINDS, UpgradeRecord


def store(state_dir: Path, record: UpgradeRecord) -> PlanStore:
    return PlanStore(record.folder(state_dir).root)


def finished(state_dir: Path, record: UpgradeRecord) -> bool:
    plan = store(state_dir, record).load()
    return plan is not None and plan.state == "completed"


def records(state_dir: Path) -> list[UpgradeRecord]:
    """Every upgrade and rollback of the install, oldest first."""
    root = StateDir(state_dir).operations
    found = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        meta = OperationFolder(folder).meta
        if folder.name.startswith(KINDS) and meta.is_file():
            found.append(UpgradeRecord.load(meta))
    return sorted(found, key=lambda r: r.created)


def last(state_dir: Path, kind: str | None = None) -> UpgradeRecord | None:
    """The latest upgrade or rollback (of `kind` when given)."""
    found = [r for r in records(state_dir) if kind in (None, r.kind)]
    return found[-1] if found else None


def unfinished(state_dir: Path) -> UpgradeRecord | None:
    """The upgrade or rollback that stopped part way and must be carried on (or, for an upgrade,
    rolled back) before another begins; None when the latest one completed."""
    latest = last(state_dir)
    return latest if latest is not None and not finished(state_dir, latest) else None
