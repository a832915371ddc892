"""Facts read from a fake system tree built in tmp: os-release, /proc, /sys and /lib/modules."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from installer.facts import Facts
from installer.facts.disk import nearest_existing, probe_dir, probe_volume
from installer.facts.system import module_states, read_kernel_release, read_os_release, read_sysctls
from tests.unit.checks_cases import facts

RELEASE = "6.1.0-18-amd64"


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def system(tmp_path: Path) -> Path:
    write(tmp_path, "etc/os-release", 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\n# comment\n'
                                      "ID=ubuntu\nVERSION_ID=\"22.04\"\nID_LIKE=debian\n")
    write(tmp_path, "proc/sys/kernel/osrelease", RELEASE + "\n")
    write(tmp_path, "proc/modules", "nf_conntrack 172032 1 - Live 0x0\n")
    write(tmp_path, "proc/sys/net/ipv4/ip_forward", "0\n")
    return tmp_path


def test_os_release(system):
    os_release = read_os_release(system)
    assert (os_release.id, os_release.version_id) == ("ubuntu", "22.04")
    assert os_release.pretty_name == "Ubuntu 22.04.4 LTS"


def test_os_release_falls_back_to_usr_lib(tmp_path):
    write(tmp_path, "usr/lib/os-release", "ID='rocky'\nVERSION_ID='9.3'\n")
    assert (read_os_release(tmp_path).id, read_os_release(tmp_path).version_id) == ("rocky", "9.3")
    assert read_os_release(tmp_path / "none").id == ""


def test_kernel_release(system):
    assert read_kernel_release(system) == RELEASE


@pytest.mark.parametrize("setup, expected", [
    ({"proc/modules": "overlay 151552 0 - Live 0x0\n"}, "loaded"),
    ({"sys/module/overlay/parameters/x": "N"}, "loaded"),
    ({"proc/filesystems": "nodev\ttmpfs\nnodev\toverlay\n"}, "loaded"),
    ({f"lib/modules/{RELEASE}/modules.builtin": "kernel/fs/overlayfs/overlay.ko\n"}, "builtin"),
    ({f"lib/modules/{RELEASE}/modules.dep": "kernel/fs/overlayfs/overlay.ko.xz:\nkernel/x/y.ko: a.ko\n"},
     "loadable"),
    ({f"lib/modules/{RELEASE}/modules.dep": "kernel/fs/ext4/ext4.ko.zst: jbd2\n"}, "missing"),
], ids=["proc-modules", "sys-module", "proc-filesystems", "builtin", "loadable", "missing"])
def test_overlay_module_state(system, setup, expected):
    for rel, text in setup.items():
        write(system, rel, text)
    assert module_states(system, RELEASE, ("overlay",)) == {"overlay": expected}


def test_br_netfilter_seen_through_its_sysctl(system):
    assert module_states(system, RELEASE, ("br_netfilter",)) == {"br_netfilter": "missing"}
    write(system, "proc/sys/net/bridge/bridge-nf-call-iptables", "1\n")
    assert module_states(system, RELEASE, ("br_netfilter",)) == {"br_netfilter": "loaded"}


def test_module_names_with_dashes_match(system):
    write(system, f"lib/modules/{RELEASE}/modules.dep", "kernel/net/bridge/br-netfilter.ko:\n")
    assert module_states(system, RELEASE, ("br_netfilter",)) == {"br_netfilter": "loadable"}


def test_module_state_unknown_without_anywhere_to_look(tmp_path):
    assert module_states(tmp_path, RELEASE, ("overlay",)) == {"overlay": "unknown"}


def test_sysctls(system):
    assert read_sysctls(system) == {"net.ipv4.ip_forward": "0", "net.bridge.bridge-nf-call-iptables": None}


def test_facts_round_trip_through_json():
    original = facts()
    again = Facts.from_dict(json.loads(json.dumps(original.to_dict())))
    assert again == original


def test_facts_save(tmp_path):
    facts().save(tmp_path / "facts.json")
    assert json.loads((tmp_path / "facts.json").read_text())["os"]["id"] == "debian"


def test_nearest_existing(tmp_path):
    assert nearest_existing(tmp_path / "a" / "b") == tmp_path
    assert nearest_existing(tmp_path) == tmp_path


def test_probe_dir_writable_and_missing(tmp_path):
    probe = probe_dir(tmp_path / "state" / "dir")
    assert probe.writable and probe.free_bytes and probe.path == str(tmp_path / "state" / "dir")
    assert not (tmp_path / "state").exists(), "probing must not create the folder"


def test_probe_dir_not_writable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    probe = probe_dir(blocker / "state")
    assert not probe.writable and probe.error


def test_probe_volume_missing_uses_the_parent(tmp_path):
    probe = probe_volume(tmp_path / "vol", "/var/lib/vol", measure_speed=False)
    assert (probe.path, probe.exists, probe.probed_path) == ("/var/lib/vol", False, str(tmp_path))
    assert probe.free_bytes and probe.fs_type and probe.write_bytes_per_s is None


def test_probe_volume_measures_speed_and_leaves_nothing(tmp_path):
    probe = probe_volume(tmp_path, "/data", measure_speed=True)
    assert probe.exists and probe.is_dir
    assert probe.write_bytes_per_s and probe.write_bytes_per_s > 1024 * 1024
    assert os.listdir(tmp_path) == []


def test_a_missing_or_unwritable_tmpdir_is_reported_not_replaced_by_tmp(tmp_path, monkeypatch):
    from installer.facts.gather import probe_tempdir

    monkeypatch.setenv("TMPDIR", str(tmp_path / "missing"))
    assert (probe_tempdir().writable, probe_tempdir().error) == (False, "it does not exist")
    assert not (tmp_path / "missing").exists()
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert probe_tempdir().writable and probe_tempdir().path == str(tmp_path)
