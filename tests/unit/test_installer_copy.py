"""The installer kept in the state directory: a launcher that works after the bundle is gone."""

import subprocess
import sys

from installer import installer_copy
from installer.host import Host


def test_from_source_the_kept_launcher_runs_these_sources_and_names_its_state(tmp_path):
    state = tmp_path / "state dir"
    launcher = installer_copy.keep_installer(Host(tmp_path / "root"), state, "1.0.0")
    assert launcher == state / "installer" / "install" == installer_copy.kept_launcher(state)
    assert installer_copy.kept_version(state / "installer") == "1.0.0"  # which bundle it came with
    done = subprocess.run([str(launcher), "plan"], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    assert f"No install in {state} yet" in done.stdout  # the state folder comes from the launcher


def test_frozen_the_running_build_is_copied_beside_a_launcher_and_a_second_copy_replaces_it(tmp_path, monkeypatch):
    build = tmp_path / "bundle" / "bin"
    (build / "_internal").mkdir(parents=True)
    (build / "airlift").write_text("#!/bin/sh\necho \"frozen $AIRLIFT_STATE_DIR $*\"\n")
    (build / "airlift").chmod(0o755)
    (build / "_internal" / "lib.so").write_bytes(b"lib")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(build / "airlift"))
    state = tmp_path / "state"
    installer_copy.keep_installer(Host(tmp_path), state, "1.0.0")
    (build / "_internal" / "lib.so").write_bytes(b"lib2")
    launcher = installer_copy.keep_installer(Host(tmp_path), state, "1.0.0")
    assert (state / "installer" / "bin" / "_internal" / "lib.so").read_bytes() == b"lib2"
    assert sorted(p.name for p in state.iterdir()) == ["installer"]  # no stage left behind
    out = subprocess.run([str(launcher), "status"], capture_output=True, text=True, check=True).stdout
    assert out == f"frozen {state} status\n"
    assert installer_copy.kept_launcher(tmp_path / "elsewhere") is None
