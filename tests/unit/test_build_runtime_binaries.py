"""The binaries the build carries from Debian's packages: found on PATH or given, named when missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from airlift_build import runtime_files as rf

from installer.errors import AirliftError


def _executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_a_missing_monitoring_binary_names_it_and_its_package(tmp_path, monkeypatch):
    monkeypatch.setattr(rf, "_which", lambda name: None if name == "prometheus-node-exporter" else tmp_path / name)
    request = rf.RuntimeRequest(None, None, True, None)
    with pytest.raises(AirliftError) as e:
        rf.runtime_files(request)
    details = e.value.details or ""
    assert ("the node_exporter binary: install Debian's prometheus-node-exporter "
            "(apt-get install prometheus-node-exporter) or give it with --node-exporter-bin PATH") in details
    assert "is not an executable file" in details  # the others were found on PATH but are not files


def test_given_binaries_are_carried_under_runtime(tmp_path, monkeypatch):
    monkeypatch.setattr(rf, "_which", lambda name: _executable(tmp_path / name))
    monkeypatch.setattr(rf, "read_k3s_version", lambda path: "v1.29.1+k3s1")
    mine = _executable(tmp_path / "my-prometheus")
    request = rf.RuntimeRequest(_executable(tmp_path / "k3s"), None, True, None, {"runtime/prometheus": mine})
    files = {f.path: f for f in rf.runtime_files(request).files}
    assert set(files) == {"runtime/k3s", "runtime/registry", "runtime/prometheus", "runtime/node-exporter",
                          "runtime/alertmanager"}
    assert files["runtime/prometheus"].source == mine
    assert files["runtime/alertmanager"].source == tmp_path / "prometheus-alertmanager"
