"""A healthy host's facts and a profile to vary, shared by the check tables."""

from __future__ import annotations

import dataclasses

from installer.facts import DirProbe, Facts, OsRelease, PortProbe
from installer.facts.host_record import (
    CgroupFacts,
    ClusterSettings,
    DnsFacts,
    FsyncProbe,
    InterfaceAddress,
    Limits,
    NetworkFacts,
    Route,
    SecurityFacts,
)
from installer.manifest.models import NodeProfile, Requirements

GB = 1024**3
MB = 1024**2


HEALTHY_LIMITS = {"fs.inotify.max_user_instances": "8192", "fs.inotify.max_user_watches": "524288",
                  "fs.nr_open": "1048576", "vm.overcommit_memory": "1", "vm.panic_on_oom": "0", "kernel.panic": "10",
                  "kernel.panic_on_oops": "1"}


def facts(**changes) -> Facts:
    """Facts of a healthy Debian 12 host with 4 CPUs and 8 GB, changed by `changes`."""
    base = Facts(
        hostname="node-1",
        os=OsRelease(id="debian", version_id="12", name="Debian GNU/Linux",
                     pretty_name="Debian GNU/Linux 12 (bookworm)"),
        kernel_release="6.1.0-18-amd64",
        cpu_count=4,
        ram_bytes=8 * GB,
        swap_total_bytes=0,
        modules={"overlay": "loaded", "br_netfilter": "loadable"},
        sysctls={"net.ipv4.ip_forward": "1", "net.bridge.bridge-nf-call-iptables": "1"},
        processes=[],
        ports=[PortProbe("tcp", 6443, 6443, "Kubernetes API")],
        volumes=[],
        devices=[],
        custom_checks=[],
        tempdir=DirProbe("/tmp", True, 10 * GB),
        state_dir=DirProbe("/var/lib/airlift", True, 10 * GB),
        addresses=["127.0.0.1", "10.0.0.5"],
        installer_pid=1000,
        as_root=True,
        gathered_at=0.0,
        cluster=ClusterSettings(advertise_addr="10.0.0.5"),
        network=NetworkFacts(
            routes=[Route("0.0.0.0/0", "eth0", "10.0.0.1"), Route("10.0.0.0/24", "eth0")],
            addresses=[InterfaceAddress("eth0", "10.0.0.5/24"), InterfaceAddress("lo", "127.0.0.1/8")],
            links=["eth0", "lo"],
        ),
        dns=DnsFacts(nameservers=["10.0.0.2"], hostname_addresses=["10.0.0.5"]),
        fsync=[FsyncProbe("state", "/var/lib/airlift", "/var/lib", 2.5, 32)],
        cgroups=CgroupFacts(2, ["cpu", "cpuset", "io", "memory", "pids"]),
        security=SecurityFacts(daemons=["chronyd"]),
        limits=Limits(HEALTHY_LIMITS, 1048576, systemd=True),
    )
    return dataclasses.replace(base, **changes)


def profile(**requirements) -> NodeProfile:
    return NodeProfile(name="master", requirements=Requirements(**requirements))
