"""Uninstalling k3s the way its k3s-killall.sh and k3s-uninstall.sh do, within the root prefix.

The k3s service stops with KillMode=process, so pods outlive it; like k3s-killall.sh, every
container shim of this install is then ended with its whole process tree (k3s_processes).
Mounts below k3s's folders are unmounted and the folders removed. Network interfaces, network
namespaces and iptables rules belong to the whole host, not to a folder, so they are cleaned only
when the root is `/` (a test root must never touch the machine's networking).
"""

from __future__ import annotations

from pathlib import Path

from installer.host import Host
from installer.runtime.k3s_files import K3sPaths
from installer.runtime.k3s_processes import end_k3s_processes
from installer.services import ServiceManager
from installer.services.names import K3S_AGENT, K3S_SERVER

INTERFACES = ("cni0", "flannel.1", "flannel-v6.1", "kube-ipvs0", "flannel-wg", "flannel-wg-v6")
SERVICES = (K3S_SERVER, K3S_AGENT)


def uninstall_k3s(host: Host, services: ServiceManager, paths: K3sPaths) -> None:
    """Stop k3s, undo its host changes, and remove every file it or the install wrote."""
    for name in SERVICES:
        services.remove(name)
    trees = [paths.config_dir, paths.data_dir, *paths.cleanup]
    end_k3s_processes(paths.data_dir / "data", trees)
    unmount_below(host, trees)
    if host.root == Path("/"):
        clean_host_network(host)
    for path in [*trees, paths.binary]:
        host.remove(path)
        host.prune_empty_parents(path)


def unmount_below(host: Host, trees: list[Path]) -> None:
    """Unmount, deepest first, every mount point inside `trees` (pods' volumes, /run/k3s shims)."""
    try:
        mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    except OSError:
        return
    inside = [m for m in mounts if any(m == str(t) or m.startswith(str(t) + "/") for t in trees)]
    for mount in sorted(inside, key=len, reverse=True):
        host.run(["umount", "-l", mount], check=False)


def clean_host_network(host: Host) -> None:
    """Delete k3s's interfaces, cni- namespaces, and KUBE-/CNI-/flannel iptables rules."""
    for name in INTERFACES:
        if Path("/sys/class/net", name).exists():
            host.run(["ip", "link", "delete", name], check=False)
    netns = Path("/run/netns")
    for ns in sorted(netns.glob("cni-*")) if netns.is_dir() else []:
        host.run(["ip", "netns", "delete", ns.name], check=False)
    for save, restore in (("iptables-save", "iptables-restore"), ("ip6tables-save", "ip6tables-restore")):
        if not (host.which(save) and host.which(restore)):
            continue
        rules = host.run([save], check=False).stdout
        kept = [r for r in rules.splitlines()
                if "KUBE-" not in r and "CNI-" not in r and "flannel" not in r.lower()]
        host.run([restore], input="\n".join(kept) + "\n", check=False)
