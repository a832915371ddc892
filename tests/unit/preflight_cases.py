"""The check families for what breaks real k3s installs, as (name, facts changes, profile
requirements, check id, status, fragment of the message): a passing and a failing host each."""

from __future__ import annotations

import dataclasses

from installer.facts.host_record import CgroupFacts, FsyncProbe, InterfaceAddress, Leftovers, Limits, Route
from tests.unit.checks_cases import HEALTHY_LIMITS, facts

BASE = facts()


def net(**kw) -> dict:
    return {"network": dataclasses.replace(BASE.network, **kw)}


def dns(**kw) -> dict:
    return {"dns": dataclasses.replace(BASE.dns, **kw)}


def sec(**kw) -> dict:
    return {"security": dataclasses.replace(BASE.security, **kw)}


def limits(systemd: bool = True, nofile: int | None = 1048576, **sysctls: str) -> dict:
    values = {**HEALTHY_LIMITS, **{k.replace("__", "."): v for k, v in sysctls.items()}}
    return {"limits": Limits(values, nofile, systemd)}


def cluster(**kw) -> dict:
    return {"cluster": dataclasses.replace(BASE.cluster, **kw)}


def left(**kw) -> dict:
    return {"leftovers": Leftovers(**kw)}


NO_DEFAULT = [Route("10.0.0.0/24", "eth0")]
CASES = [
    # default route
    ("default route", {}, {}, "default-route", "pass", "via 10.0.0.1 (eth0)"),
    ("default route on a link", net(routes=[Route("0.0.0.0/0", "eth0"), *NO_DEFAULT]), {}, "default-route", "pass",
     "on eth0"),
    ("black-hole default route", net(routes=[Route("0.0.0.0/0", "*"), *NO_DEFAULT]), {}, "default-route", "fail",
     "only default route is a black-hole route"),
    ("black-hole and a real default route", net(routes=[Route("0.0.0.0/0", "*"), *BASE.network.routes]), {},
     "default-route", "pass", "via 10.0.0.1 (eth0)"),
    ("no default route", net(routes=NO_DEFAULT), {}, "default-route", "fail", "no default route"),
    ("routes unreadable", net(routes=None), {}, "default-route", "warn", "Cannot read"),
    # address ranges
    ("pod range free", {}, {}, "cidr-pod", "pass", "10.42.0.0/16 (pod-cidr) overlaps no network"),
    ("pod range on an interface", net(addresses=[InterfaceAddress("eth1", "10.42.7.3/24")]), {}, "cidr-pod", "fail",
     "overlaps 10.42.7.0/24 on eth1"),
    ("pod range on a route", net(routes=[*BASE.network.routes, Route("10.42.9.0/24", "eth0", "10.0.0.9")]), {},
     "cidr-pod", "fail", "the route to 10.42.9.0/24 (eth0)"),
    ("pod range inside a wide route", net(routes=[*BASE.network.routes, Route("10.0.0.0/8", "tun0", "10.0.0.7")]), {},
     "cidr-pod", "warn", "lies inside the route to 10.0.0.0/8 (tun0)"),
    ("service range overlaps the pod range", cluster(service_cidr="10.42.128.0/17"), {}, "cidr-service", "fail",
     "overlaps the 10.42.0.0/16 range"),
    ("advertise address inside the service range", cluster(advertise_addr="10.43.0.9"), {}, "cidr-service", "fail",
     "the advertise address 10.43.0.9"),
    # disk latency
    ("fsync fast", {}, {}, "disk-latency-state", "pass", "2.5 ms"),
    ("fsync slow on a master", {"fsync": [FsyncProbe("k3s-data", "/var/lib/rancher/k3s", "/var/lib", 23.4, 32)]}, {},
     "disk-latency-k3s-data", "warn", "23.4 ms at the 99th percentile of 32 synced 4 KiB writes"),
    ("fsync not measured", {"fsync": [FsyncProbe("state", "/s", "/", error="Read-only file system")]}, {},
     "disk-latency-state", "warn", "Read-only file system"),
    # kernel and cgroups
    ("kernel supported", {}, {}, "kernel-version", "pass", "6.1.0-18-amd64"),
    ("kernel too old", {"kernel_release": "2.6.32-754.el6.x86_64"}, {}, "kernel-version", "fail", "older than 3.10"),
    ("kernel old for cgroup v2", {"kernel_release": "4.18.0-553.el8.x86_64"}, {}, "kernel-version", "warn",
     "from kernel 5.8"),
    ("cgroup v2 complete", {}, {}, "cgroups", "pass", "cgroup v2 with cpu, cpuset, memory, pids"),
    ("cgroup v1 complete", {"cgroups": CgroupFacts(1, ["cpu", "cpuacct", "cpuset", "memory", "pids"])}, {}, "cgroups",
     "pass", "cgroup v1"),
    ("cgroup v1 without memory", {"cgroups": CgroupFacts(1, ["cpu", "cpuset", "pids"])}, {}, "cgroups", "fail",
     "lacks the memory controller"),
    ("cgroup v2 not delegated", {"cgroups": CgroupFacts(2, ["memory", "pids"])}, {}, "cgroups", "fail",
     "lacks the cpu, cpuset controller"),
    ("no cgroups", {"cgroups": CgroupFacts(error="no cgroup filesystem is mounted under /sys/fs/cgroup")}, {},
     "cgroups", "fail", "No cgroup hierarchy"),
    # time sync
    ("chrony runs", {}, {}, "time-sync", "pass", "chronyd keeps the clock in sync"),
    ("no time sync", sec(daemons=[]), {}, "time-sync", "warn", "No time-sync service runs"),
    # dns
    ("lan nameserver", {}, {}, "dns-resolver", "pass", "Pods forward to 10.0.0.2"),
    ("loopback resolver", dns(nameservers=["127.0.0.53"]), {}, "dns-resolver", "warn", "listed: 127.0.0.53"),
    ("loopback resolver, systemd's file usable", dns(nameservers=["127.0.0.53"], systemd_nameservers=["10.0.0.2"]),
     {}, "dns-resolver", "pass", "/run/systemd/resolve/resolv.conf"),
    ("loopback resolver, k3s resolv-conf set", dns(nameservers=["127.0.0.11"], k3s_resolv_conf="/etc/k3s-resolv.conf"),
     {}, "dns-resolver", "pass", "resolv-conf"),
    ("no nameserver", dns(nameservers=[]), {}, "dns-resolver", "warn", "listed: none"),
    ("hostname resolves to the advertise address", {}, {}, "hostname-resolves", "pass", "resolves to 10.0.0.5"),
    ("hostname resolves to loopback", dns(hostname_addresses=["127.0.1.1"]), {}, "hostname-resolves", "warn",
     "not to the advertise address 10.0.0.5"),
    ("hostname does not resolve", dns(hostname_addresses=None), {}, "hostname-resolves", "warn", "does not resolve"),
    ("node name valid", {}, {}, "node-name", "pass", "node-1 is a valid"),
    ("node name upper case", {"hostname": "Node_1"}, {}, "node-name", "fail", "Node_1 is not a valid"),
    # firewalls and security modules
    ("no firewall", {}, {}, "firewall", "pass", "Neither firewalld nor ufw"),
    ("firewalld active", sec(daemons=["firewalld"]), {}, "firewall", "warn", "6443/tcp"),
    ("ufw active", sec(ufw_enabled=True), {}, "firewall", "warn", "ufw is active"),
    ("selinux off", {}, {}, "selinux", "pass", "not enabled"),
    ("selinux enforcing with k3s-selinux", sec(selinux="enforcing", k3s_selinux=True), {}, "selinux", "pass",
     "k3s-selinux"),
    ("selinux enforcing without k3s-selinux", sec(selinux="enforcing"), {}, "selinux", "fail",
     "the package k3s-selinux, is not installed"),
    ("apparmor enabled", sec(apparmor=True, apparmor_profiles=40, apparmor_parser=True), {}, "apparmor", "pass",
     "40 profiles loaded"),
    ("apparmor without its parser", sec(apparmor=True), {}, "apparmor", "warn", "apparmor_parser is missing"),
    # limits
    ("inotify high enough", {}, {}, "limits-inotify", "pass", "fs.inotify.max_user_instances = 8192"),
    ("inotify default", limits(fs__inotify__max_user_instances="128"), {}, "limits-inotify", "warn",
     "fs.inotify.max_user_instances = 128"),
    ("nofile under systemd", {}, {}, "limits-nofile", "pass", "LimitNOFILE=1048576"),
    ("nofile low without systemd", limits(systemd=False, nofile=4096), {}, "limits-nofile", "warn",
     "open-file limit is 4096"),
    ("nr_open low under systemd", limits(fs__nr_open="65536"), {}, "limits-nofile", "warn", "fs.nr_open is 65536"),
    ("hardening defaults", {}, {}, "kernel-defaults", "pass", "hardening guide"),
    ("overcommit and panic differ", limits(vm__overcommit_memory="0", kernel__panic="0"), {}, "kernel-defaults",
     "warn", "vm.overcommit_memory = 0, kernel.panic = 0"),
    # network managers and CNI interfaces
    ("no NetworkManager", {}, {}, "network-manager", "pass", "not running"),
    ("NetworkManager told to leave flannel alone",
     sec(daemons=["NetworkManager"], nm_unmanaged=["interface-name:cni0", "interface-name:flannel*"]), {},
     "network-manager", "pass", "leaves cni0"),
    ("NetworkManager manages cni0", sec(daemons=["NetworkManager"]), {}, "network-manager", "warn",
     "would manage cni0 and flannel.1"),
    ("nm-cloud-setup enabled", sec(daemons=["NetworkManager"], nm_cloud_setup=True,
                                   nm_unmanaged=["interface-name:cni0", "interface-name:flannel*"]), {},
     "network-manager", "warn", "nm-cloud-setup is enabled"),
    ("no CNI leftovers", net(links=["eth0", "lo", "docker0", "tunl0"]), {}, "cni-interfaces", "pass", "No interface"),
    ("Calico and an old cni0 left", net(links=["eth0", "cali12ab", "cni0", "lo"]), {}, "cni-interfaces", "fail",
     "cali12ab (Calico), cni0"),
    # leftovers
    ("nothing left", {}, {}, "leftover-files", "pass", "No data"),
    ("k3s data left", left(paths=["/var/lib/rancher/k3s", "/etc/rancher/k3s/k3s.yaml"]), {}, "leftover-files",
     "fail", "/var/lib/rancher/k3s, /etc/rancher/k3s/k3s.yaml"),
    ("no chains", {}, {}, "leftover-iptables", "pass", "No KUBE-"),
    ("kube chains left", left(chains=["CNI-FORWARD", "KUBE-SERVICES"]), {}, "leftover-iptables", "fail",
     "CNI-FORWARD, KUBE-SERVICES"),
    ("iptables unreadable", left(chains_error="iptables-save: Permission denied (you must be root)"), {},
     "leftover-iptables", "warn", "Permission denied"),
    ("no mounts", {}, {}, "leftover-mounts", "pass", "Nothing is mounted"),
    ("kubelet mounts left", left(mounts=["/var/lib/kubelet/pods/x/volumes/y"]), {}, "leftover-mounts", "fail",
     "/var/lib/kubelet/pods/x/volumes/y"),
]
