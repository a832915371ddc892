"""installer.report.make.write_report, the one maker of the report for `./install report` and the
panel: refused where nothing is installed; given a folder, the report's own name inside it."""

from __future__ import annotations

import tarfile

import pytest

from installer.errors import AirliftError
from installer.events import EventBus
from installer.host import Host
from installer.plan import PlanStore, build_install_plan
from installer.report import make
from installer.report.collect import Report
from installer.report.summary import Finding


def test_nothing_installed_is_refused_with_the_state_directory_named(tmp_path):
    with pytest.raises(AirliftError, match=f"Nothing is installed with the state directory {tmp_path}"):
        make.write_report(Host(tmp_path), tmp_path, EventBus(), tmp_path)


@pytest.mark.parametrize("to_folder", [True, False])
def test_the_report_goes_to_the_file_or_under_its_own_name_in_the_folder(tmp_path, monkeypatch, to_folder):
    state = tmp_path / "state"
    state.mkdir()
    PlanStore(state).create(build_install_plan("node-1"))
    collected = Report("airlift-report-node-1-20260101-000000", {"summary.txt": "Nothing looks wrong"},
                       [Finding("a pod is not Ready", "cluster/pods.yaml")])
    monkeypatch.setattr(make, "collect_report", lambda host, services, state_dir, bus, remote, unpack: collected)
    out = tmp_path if to_folder else tmp_path / "mine.tar.gz"
    written = make.write_report(Host(tmp_path), state, EventBus(), out)
    assert written.path == (tmp_path / f"{collected.top}.tar.gz" if to_folder else out)
    assert written.wrong == 1 and written.size == written.path.stat().st_size
    with tarfile.open(written.path) as tar:
        assert tar.getnames() == [f"{collected.top}/summary.txt"]
