"""The mount points the disk alerts watch on a node: those holding its state directory and its
profile's volumes, as node_exporter names them (the path of the mount in the host's view)."""

from __future__ import annotations

import os
from pathlib import Path

from installer.host import Host
from installer.manifest import NodeProfile


def mount_point(path: Path) -> str:
    """The mount point holding `path` (its nearest existing ancestor that is a mount)."""
    current = Path(os.path.abspath(path))
    while not current.exists():
        current = current.parent
    while not os.path.ismount(current):
        current = current.parent
    return str(current)


def watched_mountpoints(host: Host, state_dir: Path, profile: NodeProfile) -> list[str]:
    paths = [Path(state_dir), *(host.path(v.path) for v in profile.requirements.volumes)]
    return sorted({mount_point(p) for p in paths})
