"""The installer kept in the state directory, so the installed system never needs the bundle.

Operators delete the unpacked bundle once the application runs. The services' supervisor
(`<installer> _supervise NAME`), `status` and `uninstall` must keep working, so bootstrap copies
the running installer into `<state>/installer/`: the frozen build (`bin/`) with a launcher
`install` beside it, or, when the installer runs from its sources, a launcher that runs those
sources with the same Python through the same entry as the frozen build (packaging/airlift_entry.py,
which also starts the front-ends the engine never imports: the control panel's `_panel`). The launcher names its state directory (AIRLIFT_STATE_DIR), so
`<state>/installer/install status` needs no `--state-dir`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from installer.host import Host
from installer.statedir import StateDir

LAUNCHER = "install"
STATE_ENV = "AIRLIFT_STATE_DIR"
ENTRY = "packaging/airlift_entry.py"  # the installer's entry, with its front-ends, in the sources

_FIND_SELF = '''self=$(readlink -f -- "$0") || exit 2
here=$(dirname -- "$self")
AIRLIFT_STATE_DIR=$(dirname -- "$here")
export AIRLIFT_STATE_DIR
'''


def launcher_path(state_dir: Path) -> Path:
    """Where the kept installer's launcher lives (it may not exist yet)."""
    return StateDir(state_dir).installer / LAUNCHER


def kept_launcher(state_dir: Path) -> Path | None:
    """The kept installer's launcher, once bootstrap has copied it."""
    path = launcher_path(state_dir)
    return path if path.is_file() else None


def keep_installer(host: Host, state_dir: Path) -> Path:
    """Copy the running installer into `<state>/installer/` (replacing an older copy); return its
    launcher. Staged beside the target and renamed, so a crash never leaves half a copy in use."""
    target = StateDir(state_dir).installer
    frozen = getattr(sys, "frozen", False)
    program_dir = Path(sys.executable).resolve().parent
    if frozen and program_dir.parent == target.resolve():
        return launcher_path(state_dir)  # this run is the kept copy itself
    stage = StateDir(state_dir).installer_stage
    host.remove(stage)
    stage.mkdir(parents=True)
    if frozen:
        shutil.copytree(program_dir, stage / "bin", symlinks=True)
        launcher = _frozen_launcher(Path(sys.executable).name)
    else:
        launcher = _source_launcher(Path(__file__).resolve().parents[1], Path(sys.executable))
    host.write_file(stage / LAUNCHER, launcher, mode=0o755)
    host.remove(target)
    os.replace(stage, target)
    return launcher_path(state_dir)


def _frozen_launcher(executable: str) -> str:
    return ("#!/bin/sh\n# Airlift installer kept by the install: status, uninstall and the services' "
            f"supervisor.\n{_FIND_SELF}exec \"$here/bin/{executable}\" \"$@\"\n")


def _source_launcher(source: Path, python: Path) -> str:
    return ("#!/bin/sh\n# Airlift installer kept by the install (running from its sources): status, "
            f"uninstall and the services' supervisor.\n{_FIND_SELF}"
            f"PYTHONPATH={shlex.quote(str(source))}\nexport PYTHONPATH\n"
            f"exec {shlex.quote(str(python))} {shlex.quote(str(source / ENTRY))} \"$@\"\n")
