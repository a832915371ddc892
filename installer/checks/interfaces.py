"""Network interfaces k3s's flannel owns: NetworkManager must leave cni0 and flannel.* alone, and
no interface of another CNI (or of an earlier cluster) may be left over, or pod traffic is
routed into it (the classic: a cni0 still holding the old cluster's subnet).
"""

from __future__ import annotations

from fnmatch import fnmatch

from installer.checks.result import CheckResult, Family, passed, problem
from installer.facts import Facts
from installer.manifest.models import NodeProfile

NM_CONF = "/etc/NetworkManager/conf.d/k3s.conf"
NM_LINES = "[keyfile]\\nunmanaged-devices=interface-name:cni0;interface-name:flannel*"
FLANNEL_LINKS = ("cni0", "flannel.1")
# interface name pattern -> who makes it
CNI_LINKS = {
    "cni0": "a CNI bridge (flannel's, from an earlier cluster)",
    "flannel.*": "flannel, from an earlier cluster",
    "flannel-*": "flannel, from an earlier cluster",
    "cali*": "Calico",
    "vxlan.calico": "Calico",
    "vxlan-v6.calico": "Calico",
    "cilium_*": "Cilium",
    "lxc_health": "Cilium",
    "weave": "Weave Net",
    "vxlan-6784": "Weave Net",
    "kube-bridge": "kube-router",
    "kube-dummy-if": "kube-router",
    "kube-ipvs0": "kube-proxy in IPVS mode",
    "antrea-*": "Antrea",
    "nodelocaldns": "NodeLocal DNSCache",
}


def _unmanaged(entries: list[str], link: str) -> bool:
    return any(e.startswith("interface-name:") and fnmatch(link, e.split(":", 1)[1]) for e in entries)


def check_network_manager(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    sec = facts.security
    if "NetworkManager" not in sec.daemons:
        return [passed("network-manager", "warn", "NetworkManager is not running.")]
    managed = [link for link in FLANNEL_LINKS if not _unmanaged(sec.nm_unmanaged, link)]
    problems, fixes = [], []
    if managed:
        problems.append(f"NetworkManager runs and would manage {' and '.join(managed)}, which flannel creates: it can "
                        "strip their addresses and routes, and pod traffic stops")
        fixes.append(f"Create {NM_CONF} with the lines `{NM_LINES}`, then run: systemctl reload NetworkManager")
    if sec.nm_cloud_setup:
        problems.append("nm-cloud-setup is enabled and rewrites the routing table under k3s")
        fixes.append("Run: systemctl disable nm-cloud-setup.service nm-cloud-setup.timer, then reboot")
    if not problems:
        return [passed("network-manager", "warn", "NetworkManager runs and leaves cni0 and flannel.* alone.")]
    return [problem("network-manager", "warn", "; ".join(problems) + ".", ". ".join(fixes) + ".")]


def check_cni_leftovers(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    found = {link: who for link in facts.network.links for pattern, who in CNI_LINKS.items() if fnmatch(link, pattern)}
    if not found:
        return [passed("cni-interfaces", "fail", "No interface of an earlier cluster's network plugin is left.")]
    shown = ", ".join(f"{link} ({who})" for link, who in sorted(found.items()))
    deletes = " && ".join(f"ip link delete {link}" for link in sorted(found))
    return [problem("cni-interfaces", "fail",
                    f"Network interfaces of an earlier cluster are left: {shown}; pod traffic would be routed into them.",
                    f"Remove them: {deletes} (./install uninstall removes what an earlier Airlift or k3s left, and "
                    "the other plugin's own uninstall its interfaces and /etc/cni/net.d files); then reboot if the "
                    "plugin's daemon set was still running.")]


def check_interfaces(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    return [*check_network_manager(facts, profile), *check_cni_leftovers(facts, profile)]


INTERFACES = Family("interfaces", "network-manager, cni-interfaces",
                    "NetworkManager leaves cni0 and flannel.* unmanaged and nm-cloud-setup is off (warn); no "
                    "interface of another CNI or an earlier cluster is left (fail)", check_interfaces)
