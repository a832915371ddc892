"""The frozen installer: lean, carrying every asset, and runnable from anywhere without Python."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from PyInstaller.archive.readers import CArchiveReader

import installer
from tests.fixtures.net import free_port
from tests.fixtures.processes import stop_process

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ASSET_DIRS = ("static", "templates", "installer/manifest/schema")
# Never inside the bundle: build-only and test-only code, and optional extras left out.
UNWANTED = ("docker", "PyInstaller", "pytest", "_pytest", "playwright", "mypy", "tests", "airlift_build",
            "pygments", "invoke")
# Imported by name at run time: the wizard fails to start without each of these.
REQUIRED = ("engineio.async_drivers.threading", "wizard.app", "installer.__main__", "flask_socketio")


def frozen_modules(folder: Path) -> set[str]:
    archive = CArchiveReader(str(folder / "airlift"))
    return set(archive.open_embedded_archive("PYZ.pyz").toc)


def test_the_frozen_tree_carries_every_asset_byte_for_byte(frozen_installer):
    internal = frozen_installer / "_internal"
    for top in ASSET_DIRS:
        sources = [p for p in (REPO / top).rglob("*") if p.is_file()]
        assert sources or top == "templates", f"{top}/ is empty in the repository"
        for src in sources:
            rel = src.relative_to(REPO)
            frozen = internal / rel
            assert frozen.is_file(), f"{rel} is missing from the frozen installer"
            assert frozen.read_bytes() == src.read_bytes(), f"{rel} differs in the frozen installer"


def test_the_frozen_installer_holds_what_runs_and_nothing_for_building_or_testing(frozen_installer):
    modules = frozen_modules(frozen_installer)
    for name in REQUIRED:
        assert name in modules, f"{name} is not frozen in"
    leaked = sorted(m for m in modules if m.split(".")[0] in UNWANTED)
    assert not leaked, f"build or test modules frozen in: {leaked[:10]}"
    size = sum(p.stat().st_size for p in frozen_installer.rglob("*") if p.is_file())
    assert size < 60 * 2**20, f"the frozen installer weighs {size / 2**20:.1f} MiB"


def run(argv: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(cwd), **env}
    return subprocess.run(argv, cwd=cwd, env=clean, capture_output=True, text=True, timeout=60)


def test_help_and_version_run_from_any_folder_and_a_path_with_spaces(frozen_installer, tmp_path):
    spaced = tmp_path / "my bundles" / "hello 1.0"
    shutil.copytree(frozen_installer, spaced / "bin")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    exe = spaced / "bin" / "airlift"
    helped = run([str(exe), "--help"], cwd=elsewhere)
    assert helped.returncode == 0, helped.stderr
    assert "--cli" in helped.stdout and "check" in helped.stdout
    version = run([str(exe), "--version"], cwd=elsewhere, AIRLIFT_BUNDLE_DIR=str(spaced))
    assert installer.__version__ in version.stdout + version.stderr


def test_the_bundle_launcher_finds_its_bundle_through_a_symlink_from_any_folder(hello_bundle_dir, tmp_path):
    assert (hello_bundle_dir / "bin" / "airlift").is_file()
    links = tmp_path / "my links"
    links.mkdir()
    (links / "install").symlink_to(hello_bundle_dir / "install")
    done = run([str(links / "install"), "--version"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Bundle hello 1.0.0" in done.stdout


def test_the_bundle_launcher_serves_the_wizard_by_default(hello_bundle_dir, tmp_path):
    """The frozen entry plugs the wizard into the installer's command line (the engine never
    imports it), so a bare ./install serves it."""
    clean = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.Popen([str(hello_bundle_dir / "install"), "--listen", f"127.0.0.1:{free_port()}",
                             "--state-dir", str(tmp_path / "state"), "--root", str(tmp_path / "root")],
                            cwd=tmp_path, env=clean, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("Press Ctrl-C" in line for line in lines):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
        assert any("https://127.0.0.1:" in line for line in lines), "".join(lines)
    finally:
        stop_process(proc)


def test_the_frozen_installer_needs_no_python_on_the_host(frozen_installer):
    needed = subprocess.run(["ldd", str(frozen_installer / "airlift")], capture_output=True,
                            text=True, check=True).stdout
    assert "libpython" not in needed and "not found" not in needed
    assert os.access(frozen_installer / "_internal" / "libpython3.11.so.1.0", os.R_OK)
