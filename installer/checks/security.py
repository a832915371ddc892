"""Firewalls and security modules: firewalld or ufw drop traffic k3s needs between nodes and
pods; SELinux enforcing without k3s's policy denies its containers; AppArmor is reported.
"""

from __future__ import annotations

from installer.checks.result import CheckResult, Family, passed, problem
from installer.facts import Facts
from installer.manifest.models import NodeProfile
from installer.ports import ETCD_CLIENT_PORT, ETCD_PEER_PORT

ETCD = ("tcp", ETCD_CLIENT_PORT, ETCD_PEER_PORT)


def _ports(facts: Facts) -> list[tuple[str, int, int]]:
    """Every port this node must accept: Airlift's, k3s's and the profile's (etcd's on a master)."""
    ports = {(p.protocol, p.first, p.last) for p in facts.ports}
    if facts.cluster.server:
        ports.add(ETCD)
    return sorted(ports, key=lambda p: (p[1], p[0]))


def _firewalld_fix(facts: Facts) -> str:
    adds = " ".join(f"--add-port={a}{'-' + str(b) if b != a else ''}/{proto}" for proto, a, b in _ports(facts))
    c = facts.cluster
    return (f"Open what k3s needs: firewall-cmd --permanent {adds} && firewall-cmd --permanent --zone=trusted "
            f"--add-source={c.pod_cidr} --add-source={c.service_cidr} && firewall-cmd --reload — or stop it, as "
            "k3s's documentation recommends: systemctl disable --now firewalld")


def _ufw_fix(facts: Facts) -> str:
    allows = " && ".join(f"ufw allow {a}{':' + str(b) if b != a else ''}/{proto}" for proto, a, b in _ports(facts))
    c = facts.cluster
    return (f"Open what k3s needs: {allows} && ufw allow from {c.pod_cidr} to any && ufw allow from "
            f"{c.service_cidr} to any — or turn it off: ufw disable")


def check_firewall(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    shown = ", ".join(f"{a}{'-' + str(b) if b != a else ''}/{proto}" for proto, a, b in _ports(facts))
    if "firewalld" in facts.security.daemons:
        return [problem("firewall", "warn", f"firewalld is active: unless it allows {shown} and the pod and service "
                        "ranges, nodes and pods cannot reach each other.", _firewalld_fix(facts))]
    if facts.security.ufw_enabled:
        return [problem("firewall", "warn", f"ufw is active: unless it allows {shown} and the pod and service "
                        "ranges, nodes and pods cannot reach each other.", _ufw_fix(facts))]
    return [passed("firewall", "warn", "Neither firewalld nor ufw is active.")]


def check_selinux(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    sec = facts.security
    if sec.selinux != "enforcing":
        return [passed("selinux", "fail", "SELinux is permissive." if sec.selinux else "SELinux is not enabled.")]
    if sec.k3s_selinux:
        return [passed("selinux", "fail", "SELinux is enforcing and k3s's policy (k3s-selinux) is installed.")]
    return [problem("selinux", "fail",
                    "SELinux is enforcing and k3s's SELinux policy, the package k3s-selinux, is not installed: "
                    "its containers and volumes are denied.",
                    "Install container-selinux and k3s-selinux (the rpm for this OS release, from k3s-io/k3s-selinux) "
                    "from your local media: rpm -i container-selinux-*.rpm k3s-selinux-*.rpm — or make SELinux "
                    "permissive: setenforce 0 and SELINUX=permissive in /etc/selinux/config.")]


def check_apparmor(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    sec = facts.security
    if not sec.apparmor:
        return [passed("apparmor", "warn", "AppArmor is not enabled.")]
    loaded = f", {sec.apparmor_profiles} profiles loaded" if sec.apparmor_profiles is not None else ""
    if sec.apparmor_parser:
        return [passed("apparmor", "warn", f"AppArmor is enabled{loaded}; containerd confines containers with "
                                           "its default profile.")]
    return [problem("apparmor", "warn",
                    f"AppArmor is enabled{loaded} but apparmor_parser is missing: containerd cannot load its default "
                    "profile and pods may fail to start.",
                    "Install the apparmor package from your local mirror or media (apt-get install apparmor).")]


def check_security(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    return [*check_firewall(facts, profile), *check_selinux(facts, profile), *check_apparmor(facts, profile)]


SECURITY = Family("security", "firewall, selinux, apparmor",
                  "firewalld or ufw active (warn, with the ports to open); SELinux enforcing without k3s-selinux "
                  "(fail); AppArmor's state reported", check_security)
