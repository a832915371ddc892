"""The parts of the facts record the checks of what breaks real k3s installs read: network and
DNS, disk latency, cgroups, the host's daemons and security modules, limits, and what an
earlier cluster left behind. Every reader degrades to "could not read" (`error`, None), never
to an exception, so a host that hides something still gets its other checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_POD_CIDR = "10.42.0.0/16"
DEFAULT_SERVICE_CIDR = "10.43.0.0/16"


@dataclass(frozen=True)
class ClusterSettings:
    """What the answers give this node, so the checks can hold the host against it.

    `server` is True where k3s runs as a server (etcd, the API server, and on the first master the
    registry): those are the nodes whose disk latency matters.
    """

    pod_cidr: str = DEFAULT_POD_CIDR
    service_cidr: str = DEFAULT_SERVICE_CIDR
    advertise_addr: str | None = None
    server: bool = True


@dataclass(frozen=True)
class Route:
    """One IPv4 route of the main table (/proc/net/route); `iface` is "*" for a black-hole route."""

    destination: str   # CIDR, 0.0.0.0/0 for the default route
    iface: str
    gateway: str | None = None


@dataclass(frozen=True)
class InterfaceAddress:
    """An IPv4 address of an interface, with its network."""

    iface: str
    cidr: str          # 192.0.2.2/24


@dataclass(frozen=True)
class NetworkFacts:
    """Routes, addresses and the names of every network interface (/sys/class/net)."""

    routes: list[Route] | None = None        # None: /proc/net/route could not be read
    addresses: list[InterfaceAddress] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DnsFacts:
    """The nameservers pods would inherit, and what this host's name resolves to."""

    nameservers: list[str] | None = None          # /etc/resolv.conf; None when unreadable
    systemd_nameservers: list[str] = field(default_factory=list)  # /run/systemd/resolve/resolv.conf
    k3s_resolv_conf: str | None = None            # resolv-conf in /etc/rancher/k3s/config.yaml[.d]
    hostname_addresses: list[str] | None = None   # None: the name did not resolve


@dataclass(frozen=True)
class FsyncProbe:
    """Latency of small synced writes where k3s (etcd) or the registry will write.

    `p99_ms` is the 99th percentile of `samples` 4 KiB writes, each followed by fdatasync, as
    etcd's own guidance measures a disk.
    """

    name: str              # what lives there: "state", "k3s-data"
    path: str
    probed_path: str
    p99_ms: float | None = None
    samples: int = 0
    error: str | None = None


@dataclass(frozen=True)
class CgroupFacts:
    """The cgroup hierarchy k3s will use: 2 (unified) or 1, and the controllers it offers."""

    version: int | None = None
    controllers: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class SecurityFacts:
    """Daemons and security modules that change how k3s behaves on this host."""

    daemons: list[str] = field(default_factory=list)   # running: chronyd, firewalld, NetworkManager ...
    ufw_enabled: bool = False
    selinux: str | None = None                         # "enforcing" | "permissive" | None (off)
    k3s_selinux: bool = False                          # k3s's SELinux policy is installed
    apparmor: bool = False
    apparmor_profiles: int | None = None
    apparmor_parser: bool = False
    nm_unmanaged: list[str] = field(default_factory=list)  # NetworkManager's unmanaged-devices entries
    nm_cloud_setup: bool = False                       # nm-cloud-setup enabled


@dataclass(frozen=True)
class Limits:
    """Kernel limits kubelet and containerd run into, and the open-file limit k3s will inherit."""

    sysctls: dict[str, str | None] = field(default_factory=dict)
    nofile_hard: int | None = None     # hard RLIMIT_NOFILE the installer (and its services) has; None: unlimited
    systemd: bool = False              # systemd runs the services (its unit sets LimitNOFILE)


@dataclass(frozen=True)
class Leftovers:
    """What an earlier k3s or Airlift install left on the host."""

    paths: list[str] = field(default_factory=list)      # data, config and state folders found
    chains: list[str] = field(default_factory=list)     # iptables chains KUBE-*, CNI-*, FLANNEL*
    chains_error: str | None = None                     # iptables could not be read
    mounts: list[str] = field(default_factory=list)     # mount points under /var/lib/kubelet, /run/k3s
    uninstallers: list[str] = field(default_factory=list)  # k3s-uninstall.sh and friends found
