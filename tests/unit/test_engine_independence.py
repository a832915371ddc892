"""The engine stands alone: every installer module imports with Flask, the wizard, the hub, the docker SDK
and the build code unavailable, and no installer source imports them anywhere (an import inside a
function runs only when called, so the import test alone would miss it). The engine can never
grow a dependency on a front-end; whoever starts the wizard plugs it into the CLI."""

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BLOCKED = {"flask", "flask_socketio", "socketio", "engineio", "wizard", "hub", "docker", "airlift_build",
           "sqlalchemy", "alembic"}

PROBE = r"""
import importlib, importlib.abc, pkgutil, sys
BLOCKED = set(sys.argv[1:])

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


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module the source imports, wherever the import stands: `import x`, `from x import y`,
    `importlib.import_module("x")` and `__import__("x")` (relative imports stay inside installer/)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and _by_name(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
    return found


def _by_name(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "import_module") or \
        (isinstance(func, ast.Name) and func.id in ("import_module", "__import__"))


def test_every_installer_module_imports_without_front_ends_or_build_code():
    done = subprocess.run([sys.executable, "-c", PROBE, *sorted(BLOCKED)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")


def test_no_installer_source_imports_a_front_end_or_build_code_even_inside_a_function():
    found = [f"{path.relative_to(REPO)}:{line} imports {name}"
             for path in sorted((REPO / "installer").rglob("*.py"))
             for line, name in imported_modules(ast.parse(path.read_text(encoding="utf-8")))
             if name.split(".")[0] in BLOCKED]
    assert found == [], "the engine must not import a front-end or the build code:\n" + "\n".join(found)


def test_the_scan_sees_imports_inside_functions():
    source = ("def serve():\n    import wizard\n    from flask import Flask\n"
              "    importlib.import_module('docker')\n")
    assert [name for _, name in imported_modules(ast.parse(source))] == ["wizard", "flask", "docker"]
