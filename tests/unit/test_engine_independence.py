"""The engine stands alone: every installer module imports with Flask, the wizard, the docker SDK
and the build code unavailable, so the engine can never grow a dependency on a front-end."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = r"""
import importlib, importlib.abc, pkgutil, sys
BLOCKED = {"flask", "flask_socketio", "socketio", "engineio", "wizard", "docker", "airlift_build"}

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} must not be imported by the engine")
        return None

sys.meta_path.insert(0, Block())
import installer
for mod in pkgutil.walk_packages(installer.__path__, "installer."):
    importlib.import_module(mod.name)
print("ok", len(sys.modules))
"""


def test_every_installer_module_imports_without_front_ends_or_build_code():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")
