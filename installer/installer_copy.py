"""The installer kept in the state directory, so the installed system never needs the bundle.

Operators delete the unpacked bundle once the application runs. The services' supervisor
(`<installer> _supervise NAME`), `status` and `uninstall` must keep working, so bootstrap copies
the running installer into `<state>/installer/`: the frozen build (`bin/`) with a launcher
`install` beside it, or, when the installer runs from its sources, a launcher that runs those
sources with the same Python through the same entry as the frozen build (packaging/airlift_entry.py,
which also starts the front-ends the engine never imports: the control panel's `_panel`). The
launcher names its state directory (AIRLIFT_STATE_DIR), so `<state>/installer/install status`
needs no `--state-dir`. Beside it, `bundle-version` names the application version whose bundle
the installer came with: an upgrade moves every node's copy, and the cluster service shows which
version each node's installer is.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from installer.bundle import Bundle
from installer.errors import AirliftError
from installer.host import Host
from installer.statedir import StateDir

LAUNCHER = "install"
VERSION_FILE = "bundle-version"
FROZEN_DIR = "bin/"
FROZEN_EXECUTABLE = "airlift"
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


def kept_version(installer_dir: Path) -> str | None:
    """The application version whose bundle the kept installer in `installer_dir` came with."""
    try:
        return (installer_dir / VERSION_FILE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def keep_installer(host: Host, state_dir: Path, bundle_version: str) -> Path:
    """Copy the running installer, which came with the bundle of `bundle_version`, into
    `<state>/installer/` (replacing an older copy); return its launcher. Staged beside the target
    and renamed, so a crash never leaves half a copy in use."""
    target = StateDir(state_dir).installer
    frozen = getattr(sys, "frozen", False)
    program_dir = Path(sys.executable).resolve().parent
    if frozen and program_dir.parent == target.resolve():
        return launcher_path(state_dir)  # this run is the kept copy itself
    stage = _fresh_stage(host, state_dir)
    if frozen:
        shutil.copytree(program_dir, stage / "bin", symlinks=True)
        launcher = _frozen_launcher(Path(sys.executable).name)
    else:
        launcher = _source_launcher(Path(__file__).resolve().parents[1], Path(sys.executable))
    _finish_stage(host, stage, launcher, bundle_version)
    host.remove(target)
    os.replace(stage, target)
    return launcher_path(state_dir)


def stage_from_bundle(host: Host, state_dir: Path, bundle: Bundle) -> Path:
    """Lay the frozen installer `bundle` carries (bin/) out in the staging folder, as a kept
    installer ready to be renamed into place: a node's upgrade, where the agent runs the old
    installer and the new one came over the LAN (checked by sha256 as it arrived)."""
    files = bundle.files(FROZEN_DIR)
    if not any(e.path == FROZEN_DIR + FROZEN_EXECUTABLE for e in files):
        raise AirliftError(f"The bundle index in {bundle.root} names no {FROZEN_DIR}{FROZEN_EXECUTABLE}, so this "
                           "node cannot get the new installer",
                           hint="run the upgrade from the vendor's full or differential bundle, which carries it")
    stage = _fresh_stage(host, state_dir)
    for entry in files:
        dest = stage / entry.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        with bundle.open_file(entry.path) as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
        os.chmod(dest, entry.mode)
    _finish_stage(host, stage, _frozen_launcher(FROZEN_EXECUTABLE), bundle.version)
    return stage


def _fresh_stage(host: Host, state_dir: Path) -> Path:
    stage = StateDir(state_dir).installer_stage
    host.remove(stage)
    stage.mkdir(parents=True)
    return stage


def _finish_stage(host: Host, stage: Path, launcher: str, bundle_version: str) -> None:
    host.write_file(stage / LAUNCHER, launcher, mode=0o755)
    host.write_file(stage / VERSION_FILE, bundle_version + "\n")


def _frozen_launcher(executable: str) -> str:
    return ("#!/bin/sh\n# Airlift installer kept by the install: status, uninstall and the services' "
            f"supervisor.\n{_FIND_SELF}exec \"$here/bin/{executable}\" \"$@\"\n")


def _source_launcher(source: Path, python: Path) -> str:
    return ("#!/bin/sh\n# Airlift installer kept by the install (running from its sources): status, "
            f"uninstall and the services' supervisor.\n{_FIND_SELF}"
            f"PYTHONPATH={shlex.quote(str(source))}\nexport PYTHONPATH\n"
            f"exec {shlex.quote(str(python))} {shlex.quote(str(source / ENTRY))} \"$@\"\n")
