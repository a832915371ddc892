"""The preflight facts read from fixture trees laid out like /proc, /sys, /etc and /run."""

from __future__ import annotations

import os
import time
from pathlib import Path

from installer.facts.cgroups import read_cgroups
from installer.facts.dns import k3s_resolv_conf, read_nameservers, resolve
from installer.facts.fsync import percentile, probe_fsync
from installer.facts.host_record import Route
from installer.facts.leftovers import chains_in, leftover_chains, leftover_mounts, leftover_paths
from installer.facts.limits import read_limits
from installer.facts.routes import read_links, read_routes
from installer.facts.security import security_facts

ROUTES = """Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
*\t00000000\t00000000\t0201\t0\t0\t1000\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
"""


def write(root: Path, rel: str, text: str = "") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_routes_and_links(tmp_path):
    write(tmp_path, "proc/net/route", ROUTES)
    for name in ("lo", "eth0", "cni0"):
        (tmp_path / "sys/class/net" / name).mkdir(parents=True)
    assert read_routes(tmp_path) == [Route("0.0.0.0/0", "eth0", "192.0.2.1"), Route("0.0.0.0/0", "*"),
                                     Route("192.0.2.0/24", "eth0")]
    assert read_links(tmp_path) == ["cni0", "eth0", "lo"]
    assert read_routes(tmp_path / "none") is None and read_links(tmp_path / "none") == []


def test_nameservers_and_k3s_resolv_conf(tmp_path):
    resolv = write(tmp_path, "etc/resolv.conf", "# x\nsearch lan\nnameserver 127.0.0.53\nnameserver  10.0.0.2\n")
    assert read_nameservers(resolv) == ["127.0.0.53", "10.0.0.2"]
    assert read_nameservers(tmp_path / "missing") is None
    assert k3s_resolv_conf(tmp_path) is None
    write(tmp_path, "etc/rancher/k3s/config.yaml", "token: x\nresolv-conf: /etc/a.conf\n")
    write(tmp_path, "etc/rancher/k3s/config.yaml.d/50-resolv.yaml", "resolv-conf: /etc/b.conf\n")
    write(tmp_path, "etc/rancher/k3s/config.yaml.d/60-broken.yaml", "{not yaml")
    assert k3s_resolv_conf(tmp_path) == "/etc/b.conf"


def test_resolve_gives_up_in_time(monkeypatch):
    assert "127.0.0.1" in (resolve("localhost") or [])
    def slow(*args):
        time.sleep(1)
        raise OSError("no answer")

    monkeypatch.setattr("installer.facts.dns.socket.getaddrinfo", slow)
    start = time.monotonic()
    assert resolve("slow.example", timeout=0.2) is None and time.monotonic() - start < 1


def test_cgroups_v2_v1_and_none(tmp_path):
    v2 = write(tmp_path / "v2", "sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n").parents[3]
    assert (read_cgroups(v2).version, read_cgroups(v2).controllers) == (2, ["cpu", "cpuset", "io", "memory", "pids"])
    v1 = tmp_path / "v1"
    write(v1, "proc/self/mounts", "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu,cpuacct 0 0\n"
                                  "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n"
                                  "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n")
    write(v1, "proc/cgroups", "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t1\t1\t1\ncpuacct\t1\t1\t1\n"
                              "memory\t0\t1\t0\n")
    assert (read_cgroups(v1).version, read_cgroups(v1).controllers) == (1, ["cpu", "cpuacct"])
    none = write(tmp_path / "none", "proc/self/mounts", "proc /proc proc rw 0 0\n").parents[2]
    assert read_cgroups(none).version is None and "no cgroup" in read_cgroups(none).error


def test_security_facts(tmp_path):
    assert security_facts(tmp_path) == security_facts(tmp_path / "empty")
    write(tmp_path, "proc/1/comm", "systemd\n")
    write(tmp_path, "proc/88/comm", "systemd-timesyn\n")
    write(tmp_path, "proc/90/comm", "NetworkManager\n")
    write(tmp_path, "sys/fs/selinux/enforce", "1")
    write(tmp_path, "usr/share/selinux/packages/k3s.pp")
    write(tmp_path, "sys/module/apparmor/parameters/enabled", "Y\n")
    write(tmp_path, "sbin/apparmor_parser")
    write(tmp_path, "etc/ufw/ufw.conf", "# comment\nENABLED=yes\n")
    write(tmp_path, "etc/NetworkManager/conf.d/k3s.conf",
          "[keyfile]\nunmanaged-devices=interface-name:cni0;interface-name:flannel*\n")
    write(tmp_path, "etc/systemd/system/timers.target.wants/nm-cloud-setup.timer")
    sec = security_facts(tmp_path)
    assert sec.daemons == ["NetworkManager", "systemd-timesyncd"]
    assert (sec.selinux, sec.k3s_selinux, sec.apparmor, sec.apparmor_parser, sec.ufw_enabled) == (
        "enforcing", True, True, True, True)
    assert sec.nm_unmanaged == ["interface-name:cni0", "interface-name:flannel*"] and sec.nm_cloud_setup


def test_limits(tmp_path):
    write(tmp_path, "proc/sys/fs/inotify/max_user_instances", "128\n")
    (tmp_path / "run/systemd/system").mkdir(parents=True)
    found = read_limits(tmp_path)
    assert found.sysctls["fs.inotify.max_user_instances"] == "128" and found.sysctls["kernel.panic"] is None
    assert found.systemd and (found.nofile_hard is None or found.nofile_hard > 0)


def test_leftover_paths_count_only_what_holds_something(tmp_path):
    (tmp_path / "var/lib/rancher/k3s").mkdir(parents=True)
    (tmp_path / "var/lib/kubelet").mkdir(parents=True)
    assert leftover_paths(tmp_path, tmp_path / "state") == []
    write(tmp_path, "var/lib/rancher/k3s/server/token", "x")
    write(tmp_path, "etc/rancher/k3s/k3s.yaml", "x")
    write(tmp_path, "etc/rancher/k3s/config.yaml", "resolv-conf: /etc/x")  # the operator's: not a leftover
    assert leftover_paths(tmp_path, tmp_path / "state") == ["/var/lib/rancher/k3s", "/etc/rancher/k3s/k3s.yaml"]


def test_leftover_mounts(tmp_path):
    write(tmp_path, "proc/self/mounts", "tmpfs /run/k3s/containerd/io.x/shm tmpfs rw 0 0\n"
                                        "tmpfs /var/lib/kubelet/pods/a/volumes/b tmpfs rw 0 0\n"
                                        "nsfs /run/netns/cni-1234 nsfs rw 0 0\n"
                                        "tmpfs /var/lib/kubelet-other tmpfs rw 0 0\n"
                                        f"tmpfs {tmp_path}/root/run/k3s/x tmpfs rw 0 0\n")
    assert leftover_mounts(tmp_path, tmp_path / "root") == sorted([
        "/run/k3s/containerd/io.x/shm", "/run/netns/cni-1234", "/var/lib/kubelet/pods/a/volumes/b",
        f"{tmp_path}/root/run/k3s/x"])


def test_chains_from_iptables_save():
    saved = ("*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:CNI-HOSTPORT-DNAT - [0:0]\n"
             ":flannel-postrtg - [0:0]\n:DOCKER - [0:0]\n-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n")
    assert chains_in(saved) == ["CNI-HOSTPORT-DNAT", "KUBE-SERVICES", "flannel-postrtg"]


def test_unreadable_iptables_is_an_error_not_a_crash(monkeypatch):
    monkeypatch.setattr("installer.facts.leftovers.shutil.which", lambda name: f"/usr/sbin/{name}")

    def denied(argv):
        raise OSError("Permission denied (you must be root)")

    chains, error = leftover_chains(denied)
    assert chains == [] and "iptables-save: Permission denied" in error
    assert leftover_chains(lambda argv: ":KUBE-FORWARD - [0:0]\n") == (["KUBE-FORWARD"], None)
    monkeypatch.setattr("installer.facts.leftovers.shutil.which", lambda name: None)
    assert leftover_chains(denied) == ([], None), "no iptables at all: nothing can be left in it"


def test_fsync_probe_measures_and_leaves_nothing(tmp_path):
    probe = probe_fsync("state", tmp_path / "state" / "dir", "/var/lib/airlift", writes=8)
    assert probe.samples == 8 and probe.p99_ms is not None and probe.p99_ms >= 0
    assert probe.probed_path == str(tmp_path) and os.listdir(tmp_path) == []
    blocker = write(tmp_path, "file", "x")
    assert probe_fsync("state", blocker / "x", "/s").error


def test_percentile_is_nearest_rank():
    assert percentile([float(i) for i in range(1, 33)], 99) == 32.0
    assert percentile([float(i) for i in range(1, 201)], 99) == 198.0
