"""SystemdServices drives systemctl: checked with a recording systemctl first on PATH."""

import stat

import pytest

from installer.host import Host
from installer.services.systemd import SystemdServices


@pytest.fixture
def recorded(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    fake = bin_dir / "systemctl"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n[ "$1" != is-active ]\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return calls


def test_install_writes_unit_and_private_env_then_enables(tmp_path, recorded):
    host = Host(tmp_path / "root")
    services = SystemdServices(host)
    services.install("k3s", ["/usr/local/bin/k3s", "server"], env={"K3S_TOKEN": "x"})
    unit_dir = host.path("/etc/systemd/system")
    assert "ExecStart=/usr/local/bin/k3s server" in (unit_dir / "k3s.service").read_text()
    assert stat.S_IMODE((unit_dir / "k3s.env").stat().st_mode) == 0o600
    services.start("k3s")
    assert not services.is_running("k3s")
    services.remove("k3s")
    assert recorded.read_text().splitlines() == [
        "daemon-reload", "enable k3s.service", "start k3s.service", "is-active --quiet k3s.service",
        "disable --now k3s.service", "daemon-reload", "reset-failed k3s.service"]
    assert list(unit_dir.iterdir()) == []


def test_log_tail_runs_journalctl_for_the_unit_and_says_where_to_read(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "journalctl").write_text('#!/bin/sh\necho "args: $*"\necho "registry: bind: address in use"\n')
    (bin_dir / "journalctl").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    services = SystemdServices(Host(tmp_path / "root"))
    tail = services.log_tail("airlift-registry", 5)
    assert "args: --unit airlift-registry.service --no-pager --output cat --lines 5" in tail
    assert "address in use" in tail
    assert services.log_where("airlift-registry") == "journalctl -u airlift-registry.service"


def test_log_tail_is_empty_without_journalctl(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert SystemdServices(Host(tmp_path / "root")).log_tail("k3s") == ""
