"""The upgrade bench's arithmetic, apart from the site it measures, so a unit test can check it.

Each figure is a ratio of what the upgrade moved against what it had to move; the denominators
are computed from the two bundles' index.json, never from what the upgrade reports about itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoredFile:
    """One regular file under a folder: its size and whether another name links to its inode."""

    size: int
    inode: int
    linked: bool


def snapshot(folder: Path) -> dict[str, StoredFile]:
    """Every regular file under `folder`, by path relative to it."""
    found: dict[str, StoredFile] = {}
    for path in folder.rglob("*"):
        st = path.lstat()
        if path.is_file() and not path.is_symlink():
            found[str(path.relative_to(folder))] = StoredFile(st.st_size, st.st_ino, st.st_nlink > 1)
    return found


def added_bytes(before: dict[str, StoredFile], after: dict[str, StoredFile]) -> tuple[int, int]:
    """(bytes of the files added or replaced between the two snapshots, the part of them whose
    inode has other names too: hard links, e.g. to the unpacked bundle, placed without copying).
    Each inode counts once."""
    seen: set[int] = set()
    added = linked = 0
    for path, f in after.items():
        old = before.get(path)
        if (old is not None and old.inode == f.inode) or f.inode in seen:
            continue
        seen.add(f.inode)
        added += f.size
        linked += f.size if f.linked else 0
    return added, linked


def new_blobs(old_files: Iterable[dict], new_files: Iterable[dict]) -> list[str]:
    """The hex digests of the image blobs the new bundle's index names and the old one's lacks
    (what the registry must gain)."""
    old = {f["path"] for f in old_files}
    return [f["path"].rsplit("/", 1)[1] for f in new_files
            if f["path"].startswith("images/blobs/") and f["path"] not in old]


def node_needs(old_files: Iterable[dict], new_files: Iterable[dict], prefixes: Iterable[str]) -> int:
    """Bytes a node lacks of the new bundle's files under `prefixes`, as they travel (stored
    bytes, each distinct content once): those whose stored sha256 the old bundle's files did not have."""
    prefixes = tuple(prefixes)
    have = {f["sha256"] for f in old_files if f["path"].startswith(prefixes)}
    need: dict[str, int] = {}
    for f in new_files:
        if f["path"].startswith(prefixes) and f["sha256"] not in have:
            need.setdefault(f["sha256"], f["size"])
    return sum(need.values())


def io_counters(text: str) -> dict[str, int]:
    """/proc/PID/io as a dict (rchar, wchar, read_bytes, write_bytes, ...)."""
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {key.strip(): int(value) for key, value in pairs}


def ratio(part: float, whole: float) -> float | None:
    """part / whole to 4 places; None when there is nothing to compare against."""
    return round(part / whole, 4) if whole else None


def added_by_folder(before: dict[str, StoredFile], after: dict[str, StoredFile], depth: int) -> dict[str, int]:
    """Bytes added (as in `added_bytes`) under each folder `depth` levels down, largest first:
    where an upgrade's writes went."""
    folders: dict[str, dict[str, StoredFile]] = {}
    for path, f in after.items():
        folders.setdefault("/".join(Path(path).parts[:depth]), {})[path] = f
    sizes = {folder: added_bytes(before, files)[0] for folder, files in folders.items()}
    return dict(sorted(((k, v) for k, v in sizes.items() if v), key=lambda kv: -kv[1]))


def phase_seconds(events: Iterable[dict]) -> dict[str, float]:
    """Seconds from each phase's first start to its last completion, in plan order, from an
    operation's events.jsonl records."""
    started: dict[str, float] = {}
    took: dict[str, float] = {}
    for e in events:
        if e.get("kind") != "phase" or not e.get("phase"):
            continue
        if e["status"] == "started":
            started.setdefault(e["phase"], e["time"])
        elif e["status"] == "completed" and e["phase"] in started:
            took[e["phase"]] = round(e["time"] - started[e["phase"]], 2)
    return took
