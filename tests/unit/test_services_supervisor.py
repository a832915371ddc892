"""How the supervisor is launched and what environment its services get."""

import sys

from installer.host import Host
from installer.installer_copy import keep_installer
from installer.services import manager_for
from installer.services.supervised import SupervisedServices, supervisor_command
from installer.services.supervisor import service_env


def test_from_source_the_supervisor_is_the_module(tmp_path):
    argv = supervisor_command("airlift-registry", tmp_path)
    assert argv == [sys.executable, "-m", "installer.services.supervisor", "airlift-registry",
                    "--root", str(tmp_path), "--detach"]


def test_frozen_the_supervisor_is_the_installers_hidden_subcommand(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    argv = supervisor_command("k3s", tmp_path)
    assert argv[1:3] == ["_supervise", "k3s"] and argv[0] == sys.executable


def test_once_kept_the_supervisor_is_the_kept_installer_not_the_bundles(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    kept = tmp_path / "state" / "installer" / "install"
    argv = supervisor_command("k3s", tmp_path, kept)
    assert argv == [str(kept), "_supervise", "k3s", "--root", str(tmp_path), "--detach"]


def test_a_root_prefix_uses_airlifts_supervisor(tmp_path):
    assert isinstance(manager_for(Host(tmp_path)), SupervisedServices)


def test_the_supervisor_is_launched_by_the_installer_kept_in_the_state_dir_once_bootstrap_kept_it(tmp_path):
    host, state = Host(tmp_path / "root"), tmp_path / "state"
    services = manager_for(host, state)
    assert isinstance(services, SupervisedServices)
    assert services.launcher is None  # before bootstrap: this running installer
    kept = keep_installer(host, state, "1.0.0")
    assert services.launcher == kept
    assert SupervisedServices(host).launcher is None  # no state directory: this running installer


def test_services_do_not_inherit_the_installers_python_or_frozen_libraries():
    env = service_env({"PATH": "/bin", "PYTHONPATH": "/src", "LD_LIBRARY_PATH": "/tmp/_MEI1",
                       "LD_LIBRARY_PATH_ORIG": "/opt/lib"}, {"K3S_X": "1"})
    assert env == {"PATH": "/bin", "LD_LIBRARY_PATH": "/opt/lib", "K3S_X": "1"}


def test_a_frozen_installer_without_an_original_library_path_drops_its_own(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert service_env({"PATH": "/bin", "LD_LIBRARY_PATH": "/tmp/_MEI1"}, {}) == {"PATH": "/bin"}


def test_a_large_log_is_rotated_once(tmp_path, monkeypatch):
    from installer.services import supervisor

    monkeypatch.setattr(supervisor, "LOG_KEEP_BYTES", 10)
    log = tmp_path / "svc.log"
    supervisor.rotate_log(log)  # no log yet: nothing to do
    log.write_text("0123456789 and more")
    supervisor.rotate_log(log)
    assert not log.exists() and (tmp_path / "svc.log.1").read_text() == "0123456789 and more"
    log.write_text("short")
    supervisor.rotate_log(log)
    assert log.read_text() == "short"
