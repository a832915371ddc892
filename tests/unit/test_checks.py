"""Every check, table-driven: (facts, profile requirements) -> status and what the operator reads."""

from __future__ import annotations

import pytest

from installer.checks import CHECKS, blocking, describe_checks, run_checks, unknown_skips
from installer.facts import BusyPort, DeviceProbe, DirProbe, PortProbe, ProcessInfo, ScriptRun, VolumeProbe
from installer.manifest.models import CustomCheck, Device, OSRequirement, PortRange, Volume
from tests.unit.checks_cases import GB, MB, facts, profile
from tests.unit.preflight_cases import CASES as PREFLIGHT_CASES

DEBIAN12 = (OSRequirement("debian", ("12",)),)
VOL = Volume("/var/lib/app", name="data", capacity=1 * GB)


def vol_probe(**kw) -> VolumeProbe:
    base = dict(path="/var/lib/app", exists=True, is_dir=True, probed_path="/var/lib/app",
                free_bytes=5 * GB, fs_type="ext4", write_bytes_per_s=None, error=None)
    return VolumeProbe(**{**base, **kw})


CASES = [
    # cpu
    ("cpu enough", {}, {"cpu_min": 2}, "cpu-min", "pass", "4 CPUs"),
    ("cpu too few", {"cpu_count": 1}, {"cpu_min": 2}, "cpu-min", "fail",
     "This host has 1 CPU; profile master needs at least 2."),
    ("cpu within max", {}, {"cpu_max": 8}, "cpu-max", "pass", "allows 8"),
    ("cpu over max", {"cpu_count": 16}, {"cpu_max": 8}, "cpu-max", "fail", "allows at most 8"),
    # ram
    ("ram enough", {}, {"ram_min": 2 * GB}, "ram-min", "pass", "8.0 GiB of RAM"),
    ("ram a little under: kernel reserve", {"ram_bytes": int(1.95 * GB)}, {"ram_min": 2 * GB}, "ram-min", "pass",
     "close enough"),
    ("ram too little", {"ram_bytes": 1 * GB}, {"ram_min": 2 * GB}, "ram-min", "fail",
     "This host has 1.0 GiB of RAM; profile master needs at least 2.0 GiB."),
    ("ram within max", {}, {"ram_max": 16 * GB}, "ram-max", "pass", ""),
    ("ram over max", {}, {"ram_max": 4 * GB}, "ram-max", "fail", "allows at most 4.0 GiB"),
    # os
    ("os match", {}, {"os": DEBIAN12}, "os", "pass", "debian 12"),
    ("os version prefix", {"os": facts().os.__class__(id="rhel", version_id="9.3")},
     {"os": (OSRequirement("redhat", ("9",)),)}, "os", "pass", ""),
    ("os any version", {}, {"os": (OSRequirement("debian"),)}, "os", "pass", ""),
    ("os wrong version", {"os": facts().os.__class__(id="debian", version_id="11", pretty_name="Debian 11")},
     {"os": DEBIAN12}, "os", "fail", "profile master supports: debian 12"),
    ("os wrong name", {"os": facts().os.__class__(id="ubuntu", version_id="12")},
     {"os": (OSRequirement("debian", ("12",)), OSRequirement("centos", ("7", "8")))}, "os", "fail",
     "debian 12, centos 7/8"),
    # volumes: presence and space
    ("volume ok", {"volumes": [vol_probe()]}, {"volumes": (VOL,)}, "volume-data", "pass", "5.0 GiB free"),
    ("volume full", {"volumes": [vol_probe(free_bytes=100 * MB)]}, {"volumes": (VOL,)}, "volume-data", "fail",
     "Only 100.0 MiB free at /var/lib/app; profile master needs 1.0 GiB"),
    ("volume created in parent", {"volumes": [vol_probe(exists=False, is_dir=False, probed_path="/var/lib")]},
     {"volumes": (VOL,)}, "volume-data", "pass", "/var/lib (where /var/lib/app will be created)"),
    ("volume missing, not created", {"volumes": [vol_probe(exists=False, is_dir=False, probed_path="/var")]},
     {"volumes": (Volume("/var/lib/app", name="data", create_if_missing=False),)}, "volume-data", "fail",
     "does not exist and profile master does not create it"),
    ("volume missing, skipped", {"volumes": [vol_probe(exists=False, is_dir=False, probed_path="/var")]},
     {"volumes": (Volume("/var/lib/app", name="data", skip_if_missing=True, filesystems=("xfs",)),)},
     "volume-data", "pass", "skips it when missing"),
    ("volume is a file", {"volumes": [vol_probe(is_dir=False)]}, {"volumes": (VOL,)}, "volume-data", "fail",
     "is not a folder"),
    ("volume unreadable", {"volumes": [vol_probe(error="Permission denied", free_bytes=None)]},
     {"volumes": (VOL,)}, "volume-data", "fail", "Cannot examine volume /var/lib/app: Permission denied"),
    ("volume not probed", {}, {"volumes": (VOL,)}, "volume-data", "fail", "was not examined"),
    ("volume id from path", {"volumes": [vol_probe()]}, {"volumes": (Volume("/var/lib/app"),)},
     "volume-var-lib-app", "pass", ""),
    # volumes: filesystem
    ("fs ok", {"volumes": [vol_probe()]}, {"volumes": (Volume("/var/lib/app", name="data", filesystems=("ext4", "xfs")),)},
     "volume-data-fs", "pass", "on ext4"),
    ("fs wrong", {"volumes": [vol_probe(fs_type="tmpfs")]},
     {"volumes": (Volume("/var/lib/app", name="data", filesystems=("xfs",)),)}, "volume-data-fs", "fail",
     "is on a tmpfs filesystem; profile master needs one of: xfs"),
    # volumes: speed
    ("speed ok", {"volumes": [vol_probe(write_bytes_per_s=200 * MB)]},
     {"volumes": (Volume("/var/lib/app", name="data", min_transfer_rate=50 * MB),)}, "volume-data-speed", "pass",
     "200.0 MiB/s"),
    ("speed slow", {"volumes": [vol_probe(write_bytes_per_s=10 * MB)]},
     {"volumes": (Volume("/var/lib/app", name="data", min_transfer_rate=50 * MB),)}, "volume-data-speed", "fail",
     "writes at 10.0 MiB/s; profile master needs at least 50.0 MiB/s"),
    ("speed not measured", {"volumes": [vol_probe()]},
     {"volumes": (Volume("/var/lib/app", name="data", min_transfer_rate=50 * MB),)}, "volume-data-speed", "fail",
     "was not measured"),
    # ports
    ("port free", {}, {}, "port-tcp-6443", "pass", "TCP port 6443 (Kubernetes API) is free"),
    ("port taken", {"ports": [PortProbe("tcp", 6443, 6443, "Kubernetes API", [BusyPort(6443, 321, "nginx")])]},
     {}, "port-tcp-6443", "fail", "in use: port 6443 by nginx (PID 321)"),
    ("port taken by the installer itself", {"ports": [PortProbe("tcp", 61009, 61009, "installer wizard",
                                                                [BusyPort(61009, 1000, "install")])]},
     {}, "port-tcp-61009", "pass", ""),
    ("port range partly taken", {"ports": [PortProbe("udp", 9000, 9010, "profile master",
                                                     [BusyPort(9003), BusyPort(9007, 55, "x")])]},
     {"ports": (PortRange("udp", 9000, 9010),)}, "port-udp-9000-9010", "fail",
     "UDP ports 9000-9010 (profile master) is in use: port 9003 by an unknown process; port 9007 by x (PID 55)"),
    ("port unknown", {"ports": [PortProbe("tcp", 80, 80, "profile master", error="port 80: Permission denied")]},
     {}, "port-tcp-80", "warn", "Could not test TCP port 80"),
    ("profile port not probed", {}, {"ports": (PortRange("tcp", 8080, 8080),)}, "port-tcp-8080", "fail",
     "was not probed"),
    # kernel modules
    ("module loaded", {}, {}, "module-overlay", "pass", "is loaded"),
    ("module loadable", {}, {}, "module-br_netfilter", "pass", "k3s loads it at start"),
    ("module builtin", {"modules": {"overlay": "builtin"}}, {}, "module-overlay", "pass", "built into the kernel"),
    ("module missing", {"modules": {"overlay": "missing"}}, {}, "module-overlay", "fail",
     "not installed for kernel 6.1.0-18-amd64"),
    ("module unknown", {"modules": {"overlay": "unknown"}}, {}, "module-overlay", "warn", "Cannot tell"),
    # sysctls
    ("ip_forward on", {}, {}, "sysctl-net.ipv4.ip_forward", "pass", "= 1"),
    ("ip_forward off", {"sysctls": {"net.ipv4.ip_forward": "0"}}, {}, "sysctl-net.ipv4.ip_forward", "warn",
     "net.ipv4.ip_forward is 0"),
    ("bridge sysctl missing", {"sysctls": {"net.bridge.bridge-nf-call-iptables": None}}, {},
     "sysctl-net.bridge.bridge-nf-call-iptables", "warn", "is missing (its module is not loaded)"),
    # swap
    ("swap off", {}, {}, "swap", "pass", "Swap is off"),
    ("swap on", {"swap_total_bytes": 2 * GB}, {}, "swap", "warn", "Swap is on (2.0 GiB)"),
    # processes
    ("no kubelet", {}, {}, "process-kubelet", "pass", "not running"),
    ("kubelet running", {"processes": [ProcessInfo("kubelet", 77, "kubelet --config x")]}, {}, "process-kubelet",
     "fail", "kubelet is running (PID 77: kubelet --config x)"),
    ("k3s running", {"processes": [ProcessInfo("k3s", 5, "k3s server"), ProcessInfo("k3s", 6, "k3s server")]},
     {}, "process-k3s", "fail", "PID 5 6: k3s server"),
    ("dockerd running", {"processes": [ProcessInfo("dockerd", 9, "dockerd")]}, {}, "process-dockerd", "warn",
     "dockerd is running (PID 9: dockerd)"),
    ("containerd running", {"processes": [ProcessInfo("containerd", 8, "containerd")]}, {}, "process-containerd",
     "warn", "containerd is running (PID 8: containerd)"),
    # devices
    ("device present", {"devices": [DeviceProbe("/dev/nvidia*", ["/dev/nvidia0"])]},
     {"devices": (Device("/dev/nvidia*"),)}, "device-/dev/nvidia*", "pass", "/dev/nvidia0"),
    ("device absent", {"devices": [DeviceProbe("/dev/nvidia*", [])]}, {"devices": (Device("/dev/nvidia*"),)},
     "device-/dev/nvidia*", "fail", "No device matches /dev/nvidia*"),
    # custom checks
    ("custom passes", {"custom_checks": [ScriptRun(1, "Has NTP", 0, "ok", False, 0.1)]},
     {"custom_checks": (CustomCheck("exit 0", "Has NTP"),)}, "custom-1", "pass", "Has NTP: passed"),
    ("custom fails", {"custom_checks": [ScriptRun(1, "Has NTP", 3, "a\nb\nchrony is not running", False, 0.1)]},
     {"custom_checks": (CustomCheck("exit 3", "Has NTP"),)}, "custom-1", "fail",
     "Has NTP: failed (exit 3): a / b / chrony is not running"),
    ("custom times out", {"custom_checks": [ScriptRun(1, "", None, "", True, 60.0)]},
     {"custom_checks": (CustomCheck("sleep 99"),)}, "custom-1", "fail", "custom check 1: the script did not finish within 60s"),
    ("custom did not run", {}, {"custom_checks": (CustomCheck("true"),)}, "custom-1", "fail", "did not run"),
    # folders
    ("tempdir ok", {}, {}, "tempdir", "pass", "/tmp is writable"),
    ("tempdir read-only", {"tempdir": DirProbe("/tmp", False, error="Read-only file system")}, {}, "tempdir",
     "fail", "Cannot write to the temp folder /tmp: Read-only file system"),
    ("state dir ok", {}, {}, "state-dir", "pass", "10.0 GiB free"),
    ("state dir not root", {"as_root": False, "state_dir": DirProbe("/var/lib/airlift", False, error="Permission denied")},
     {}, "state-dir", "fail", "Permission denied"),
    ("state dir too small", {"state_dir": DirProbe("/var/lib/airlift", True, 1 * GB, needed_bytes=3 * GB)}, {},
     "state-dir", "fail", "Only 1.0 GiB free for the state folder /var/lib/airlift; the install stores 3.0 GiB"),
    ("state dir full", {"state_dir": DirProbe("/var/lib/airlift", False, error="No space left on device")}, {},
     "state-dir", "fail", "No space left on device"),
]


@pytest.mark.parametrize("facts_changes, requirements, check_id, status, fragment",
                         [c[1:] for c in CASES + PREFLIGHT_CASES], ids=[c[0] for c in CASES + PREFLIGHT_CASES])
def test_check(facts_changes, requirements, check_id, status, fragment):
    results = {r.id: r for r in run_checks(facts(**facts_changes), profile(**requirements))}
    result = results[check_id]
    assert result.status == status, result
    assert fragment in result.message
    assert (result.hint is None) == (status == "pass"), "a problem must say what to do, a pass needs no hint"


def test_every_family_is_covered_by_a_pass_and_a_problem():
    seen: dict[str, set[str]] = {}
    for _, facts_changes, requirements, check_id, status, _ in CASES + PREFLIGHT_CASES:
        results = run_checks(facts(**facts_changes), profile(**requirements))
        family = next(f.id for f in CHECKS if any(r.id == check_id for r in f.run(facts(**facts_changes),
                                                                                    profile(**requirements))))
        seen.setdefault(family, set()).add("pass" if status == "pass" else "problem")
        assert check_id in {r.id for r in results}
    assert {f.id for f in CHECKS} == set(seen)
    assert all(kinds == {"pass", "problem"} for kinds in seen.values()), seen


def test_hints_carry_the_exact_fix():
    results = {r.id: r for r in run_checks(facts(sysctls={"net.ipv4.ip_forward": "0"},
                                                 processes=[ProcessInfo("kubelet", 77, "kubelet")]), profile())}
    assert "sysctl -w net.ipv4.ip_forward=1" in results["sysctl-net.ipv4.ip_forward"].hint
    assert "kill 77" in results["process-kubelet"].hint
    taken = PortProbe("tcp", 5000, 5000, "image registry", [BusyPort(5000, 12, "registry")])
    port = {r.id: r for r in run_checks(facts(ports=[taken]), profile())}["port-tcp-5000"]
    assert "kill 12" in port.hint and "registry-port" in port.hint


def test_skip_by_id_and_by_family():
    busy = facts(cpu_count=1, ports=[PortProbe("tcp", 6443, 6443, "Kubernetes API", [BusyPort(6443, 3, "x")])])
    results = {r.id: r for r in run_checks(busy, profile(cpu_min=2), skip={"cpu-min", "ports"})}
    assert results["cpu-min"].status == "skipped" and "was: fail" in results["cpu-min"].message
    assert results["port-tcp-6443"].status == "skipped"
    assert blocking(results.values()) == []


def test_failing_checks_block_and_warnings_do_not():
    results = run_checks(facts(cpu_count=1, swap_total_bytes=GB), profile(cpu_min=2))
    assert [r.id for r in blocking(results)] == ["cpu-min"]
    assert any(r.id == "swap" and r.status == "warn" for r in results)


def test_not_root_is_told_to_run_as_root():
    denied = facts(as_root=False, state_dir=DirProbe("/var/lib/airlift", False, error="Permission denied"),
                   volumes=[vol_probe(error="Permission denied")])
    results = {r.id: r for r in run_checks(denied, profile(volumes=(VOL,)))}
    assert "as root" in results["state-dir"].hint and "as root" in results["volume-data"].hint


def test_unknown_skips_are_reported():
    results = run_checks(facts(), profile())
    assert unknown_skips({"swap", "ports", "port-tcp-6443", "ram-mim"}, results) == ["ram-mim"]


def test_unset_requirements_give_no_results():
    ids = {r.id for r in run_checks(facts(), profile())}
    assert not ids & {"cpu-min", "cpu-max", "ram-min", "ram-max", "os"}


def test_describe_lists_every_family():
    described = dict(describe_checks())
    assert set(described) == {f.id for f in CHECKS} | {"clock-drift", "network-ports", "network-bandwidth",
                                                       "clock-drift-pairs"}
    assert "port-<tcp|udp>-<port>" in described["ports"]
    assert "Multi-node" in described["clock-drift"]


def test_skipping_the_multi_node_check_is_no_typo():
    assert unknown_skips({"clock-drift"}, run_checks(facts(), profile())) == []


def test_results_are_json_data():
    result = run_checks(facts(cpu_count=1), profile(cpu_min=2))[0]
    assert result.to_dict() == {"id": "cpu-min", "severity": "fail", "status": "fail",
                                "message": result.message, "hint": result.hint}
