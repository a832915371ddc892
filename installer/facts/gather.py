"""Gather a host's facts once, so every check reads the same picture and none probes again."""

from __future__ import annotations

import glob
import os
import socket
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import psutil

from installer.facts.cgroups import read_cgroups
from installer.facts.disk import probe_dir, probe_volume
from installer.facts.dns import dns_facts
from installer.facts.fsync import probe_fsync
from installer.facts.host_record import ClusterSettings, FsyncProbe
from installer.facts.leftovers import leftover_facts
from installer.facts.limits import read_limits
from installer.facts.ports import PortNeed, airlift_ports, probe_ports
from installer.facts.record import DeviceProbe, DirProbe, Facts, ProcessInfo
from installer.facts.routes import network_facts
from installer.facts.scripts import DEFAULT_TIMEOUT_S, run_scripts
from installer.facts.security import security_facts
from installer.facts.system import module_states, read_kernel_release, read_os_release, read_sysctls
from installer.host import Host
from installer.manifest.models import NodeProfile, Requirements

# Process names of other Kubernetes node software; k3s renames its processes after the subcommand.
CONFLICTING = {"kubelet": "kubelet", "k3s": "k3s", "k3s-server": "k3s", "k3s-agent": "k3s",
               "dockerd": "dockerd", "containerd": "containerd"}


def gather_facts(
    host: Host,
    profile: NodeProfile | None,
    state_dir: Path,
    *,
    ports: Sequence[PortNeed] | None = None,
    state_dir_bytes: int = 0,
    cluster: ClusterSettings | None = None,
    system: Path = Path("/"),
    script_timeout: float = DEFAULT_TIMEOUT_S,
) -> Facts:
    """Probe this host against `profile` (its volumes, ports, devices and custom scripts).

    `ports` are Airlift's own (default `airlift_ports()`); the profile's are added.
    `state_dir_bytes` is what the install will store in the state directory. `cluster` is what
    the answers give this node (advertise address, pod and service ranges, server or agent).
    Volumes and k3s's folders are looked at through the host's root prefix, where Airlift will
    create them; the kernel, OS, network, devices and processes are the running system's, read
    under `system`.
    """
    req = profile.requirements if profile else Requirements()
    cluster = cluster or ClusterSettings()
    release = read_kernel_release(system)
    needs = [*(airlift_ports() if ports is None else ports), *_profile_ports(profile)]
    hostname = socket.gethostname()
    return Facts(
        hostname=hostname,
        os=read_os_release(system),
        kernel_release=release,
        cpu_count=psutil.cpu_count(logical=True) or 1,
        ram_bytes=psutil.virtual_memory().total,
        swap_total_bytes=psutil.swap_memory().total,
        modules=module_states(system, release),
        sysctls=read_sysctls(system),
        processes=conflicting_processes(),
        ports=probe_ports(needs),
        volumes=[probe_volume(host.path(v.path), v.path, v.min_transfer_rate is not None) for v in req.volumes],
        devices=[DeviceProbe(d.path, _glob(system, d.path)) for d in req.devices],
        custom_checks=run_scripts([(c.description, c.script) for c in req.custom_checks], script_timeout),
        tempdir=probe_tempdir(),
        state_dir=probe_dir(Path(state_dir), state_dir_bytes),
        addresses=_addresses(),
        installer_pid=os.getpid(),
        as_root=os.geteuid() == 0,
        gathered_at=time.time(),
        cluster=cluster,
        network=network_facts(system),
        dns=dns_facts(system, host.root, hostname),
        fsync=_fsync_probes(host, Path(state_dir)) if cluster.server else [],
        cgroups=read_cgroups(system),
        security=security_facts(system),
        limits=read_limits(system),
        leftovers=leftover_facts(system, host.root, Path(state_dir)),
    )


K3S_DATA_DIR = "/var/lib/rancher/k3s"


def _fsync_probes(host: Host, state_dir: Path) -> list[FsyncProbe]:
    """Where the registry (the state folder) and etcd (k3s's data folder) will write."""
    state = probe_fsync("state", state_dir, str(state_dir))
    data = probe_fsync("k3s-data", host.path(K3S_DATA_DIR), K3S_DATA_DIR)
    if data.probed_path == state.probed_path:
        return [state]
    return [state, data]


def _tempdir() -> Path:
    """TMPDIR as the operator set it: Python would quietly fall back to /tmp, other tools do not."""
    return Path(os.environ.get("TMPDIR") or tempfile.gettempdir())


def probe_tempdir() -> DirProbe:
    """The temp folder must exist (unlike the state folder, which the install creates)."""
    path = _tempdir()
    if not path.is_dir():
        return DirProbe(str(path), False, error="it does not exist")
    return probe_dir(path)


def _profile_ports(profile: NodeProfile | None) -> list[PortNeed]:
    if profile is None:
        return []
    purpose = f"profile {profile.name}"
    return [PortNeed(r.protocol, r.first, r.last, purpose) for r in profile.requirements.ports]


def conflicting_processes() -> list[ProcessInfo]:
    """Running kubelet, k3s, dockerd and containerd processes (never the installer itself)."""
    found = []
    for proc in psutil.process_iter(["pid", "name", "cmdline"]):
        family = CONFLICTING.get(proc.info["name"] or "")
        if family and proc.info["pid"] != os.getpid():
            cmdline = " ".join(proc.info["cmdline"] or [])[:300]
            found.append(ProcessInfo(family, proc.info["pid"], cmdline))
    return sorted(found, key=lambda p: (p.name, p.pid))


def _glob(system: Path, pattern: str) -> list[str]:
    """Matches of a device pattern such as /dev/nvidia*, as paths on the host."""
    base = str(system).rstrip("/")
    return sorted("/" + os.path.relpath(m, system) for m in glob.glob(base + "/" + pattern.lstrip("/")))


def _addresses() -> list[str]:
    return sorted({a.address for addrs in psutil.net_if_addrs().values() for a in addrs
                   if a.family in (socket.AF_INET, socket.AF_INET6) and "%" not in a.address})
