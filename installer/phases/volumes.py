"""The node profile's volumes: created when the profile asks (createIfMissing), and remembered,
so that uninstall removes exactly the folders the install created and nothing the host had."""

from __future__ import annotations

import json
import os
from pathlib import Path

from installer.errors import AirliftError
from installer.host import Host
from installer.manifest import Volume
from installer.statedir import StateDir


def created(state_dir: Path) -> list[str]:
    path = StateDir(state_dir).created_volumes
    return json.loads(path.read_text()) if path.exists() else []


def create_volumes(host: Host, volumes: tuple[Volume, ...], state_dir: Path) -> list[str]:
    """Create each missing volume the profile marks createIfMissing; return their paths.

    The highest missing folder of each is recorded, so uninstall removes missing parents too.
    """
    made = created(state_dir)
    new: list[str] = []
    for volume in volumes:
        target = host.path(volume.path)
        if target.exists() or not volume.create_if_missing:
            continue
        made.append(str(_first_missing(Path(volume.path), host)))
        host.write_file(StateDir(state_dir).created_volumes, json.dumps(made))  # before: a crash cannot hide it
        try:
            target.mkdir(parents=True, mode=volume.mode if volume.mode is not None else 0o755)
            if volume.uid is not None or volume.gid is not None:
                os.chown(target, volume.uid if volume.uid is not None else -1,
                         volume.gid if volume.gid is not None else -1)
        except OSError as exc:
            raise AirliftError(f"Cannot create the volume folder {target}: {exc.strerror}",
                               hint="check the disk and permissions there") from exc
        new.append(volume.path)
    return new


def _first_missing(path: Path, host: Host) -> Path:
    """The highest folder of `path` that does not exist yet: all that the install creates."""
    top = path
    for parent in path.parents:
        if host.path(parent).exists():
            break
        top = parent
    return top


def remove_created(host: Host, state_dir: Path) -> None:
    """Remove the volume folders the install created (idempotent)."""
    for path in created(state_dir):
        host.remove(host.path(path))
