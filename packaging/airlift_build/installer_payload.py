"""The files that make up the bundle's `install` entry point.

This is the one seam between the bundle writer and however the installer is packaged: the
bundle writer asks for `installer_files(repo, work)` and places what it gets.

The installer is frozen with PyInstaller (airlift_build.freeze) into a one-folder build, carried
as bin/ (`bin/airlift` and `bin/_internal/`), so hosts need no Python. One folder rather than one
file because a one-file build unpacks itself into TMPDIR on every start: slower to start, and it
fails on hosts whose /tmp is mounted noexec. `install` is a POSIX sh launcher that finds itself
through its real path (so it works from any folder, through symlinks and in paths with spaces)
and execs bin/airlift. The files are stored uncompressed: the installer must run straight after
`tar xf`, before anything could decompress it.
"""

from __future__ import annotations

from pathlib import Path

from airlift_build.files import BundleFile
from airlift_build.freeze import EXECUTABLE, freeze_installer

PayloadFile = BundleFile
# When exec fails (the bundle sits on a noexec filesystem and the launcher was started with
# `sh install`), shells such as Debian's dash run the EXIT trap before exiting, so the operator
# reads what to do; a successful exec replaces the shell and the trap never runs.
LAUNCHER = f'''#!/bin/sh
# Airlift installer launcher: runs the frozen installer in bin/ beside this script.
# No Python is needed on this host.
self=$(readlink -f -- "$0") || exit 2
here=$(dirname -- "$self")
AIRLIFT_BUNDLE_DIR=$here
export AIRLIFT_BUNDLE_DIR
trap 'echo "Airlift cannot run $here/bin/{EXECUTABLE}: is the bundle on a filesystem mounted noexec?" >&2
echo "What to do: unpack the bundle in a folder where programs may run, e.g. /opt or /root." >&2' EXIT
exec "$here/bin/{EXECUTABLE}" "$@"
'''


def installer_files(repo: Path, work: Path) -> list[PayloadFile]:
    """`install` plus bin/: the frozen installer from the freeze cache.

    `work` is not needed: the frozen build lives in the freeze cache, reused by later builds.
    """
    frozen = freeze_installer(repo)
    files = [PayloadFile("install", data=LAUNCHER.encode(), mode=0o755)]
    for path in sorted(frozen.rglob("*")):
        if path.is_file():
            mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
            files.append(PayloadFile(f"bin/{path.relative_to(frozen).as_posix()}", source=path, mode=mode))
    return files
