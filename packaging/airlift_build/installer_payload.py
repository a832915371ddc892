"""The files that make up the bundle's `install` entry point.

This is the one seam between the bundle writer and however the installer is packaged: the
bundle writer asks for `installer_files(repo, work)` and places what it gets.

The installer is carried as its Python sources under lib/ with a POSIX sh launcher, `install`,
that finds itself through its real path (so it works from any folder, through symlinks and in
paths with spaces) and runs them with the build machine's interpreter when it exists there, else
`python3`. AIRLIFT_PYTHON overrides the choice.
"""

from __future__ import annotations

import sys
from pathlib import Path

from airlift_build.files import BundleFile

PayloadFile = BundleFile
SOURCE_DIRS = ("installer", "wizard", "templates", "static")
MAIN = '''"""Run the bundled installer from its sources (started by ../install)."""
import os
import runpy
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
runpy.run_module("installer", run_name="__main__", alter_sys=True)
'''
LAUNCHER = '''#!/bin/sh
# Airlift installer launcher: runs the installer carried in lib/ beside this script.
set -e
self=$(readlink -f -- "$0")
here=$(dirname -- "$self")
AIRLIFT_BUNDLE_DIR=$here
export AIRLIFT_BUNDLE_DIR
py=${AIRLIFT_PYTHON:-}
if [ -z "$py" ]; then
  if [ -x '@BUILD_PYTHON@' ]; then py='@BUILD_PYTHON@'; else py=python3; fi
fi
exec "$py" -P "$here/lib/airlift_main.py" "$@"
'''


def installer_files(repo: Path, work: Path) -> list[PayloadFile]:
    """`install` plus lib/: the installer's sources and the wizard's pages and assets."""
    files = [PayloadFile("install", data=LAUNCHER.replace("@BUILD_PYTHON@", sys.executable).encode(),
                         mode=0o755),
             PayloadFile("lib/airlift_main.py", data=MAIN.encode())]
    for d in SOURCE_DIRS:
        for path in sorted((repo / d).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files.append(PayloadFile(f"lib/{path.relative_to(repo).as_posix()}", source=path))
    return files
