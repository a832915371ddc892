"""Names: the nameservers pods inherit, this host's name resolving to its own address, and the
host name being a valid Kubernetes node name (Airlift names each node after its host).

Unique names across the nodes are enforced when a node joins (installer/agent_hub).
"""

from __future__ import annotations

import ipaddress
import re

from installer.checks.result import CheckResult, Family, passed, problem
from installer.facts import Facts
from installer.manifest.models import NodeProfile

# RFC 1123 subdomain, lower case: what Kubernetes accepts as a node name.
NODE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DROP_IN = "/etc/rancher/k3s/config.yaml.d/50-resolv.yaml"


def usable(servers: list[str]) -> list[str]:
    """Nameservers a pod can reach: not loopback, multicast, link-local or unspecified (as k3s judges)."""
    good = []
    for server in servers:
        try:
            addr = ipaddress.ip_address(server.split("%")[0])
        except ValueError:
            continue
        if not (addr.is_loopback or addr.is_multicast or addr.is_link_local or addr.is_unspecified):
            good.append(server)
    return good


def check_resolver(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    dns = facts.dns
    if dns.k3s_resolv_conf:
        return [passed("dns-resolver", "warn", f"k3s takes the nameservers of {dns.k3s_resolv_conf} (resolv-conf).")]
    if dns.nameservers is None:
        return [problem("dns-resolver", "warn", "Cannot read /etc/resolv.conf, which k3s hands to pods.",
                        "Make it readable and list a nameserver of your network in it (nameserver 10.0.0.2).")]
    if usable(dns.nameservers):
        return [passed("dns-resolver", "warn", f"Pods forward to {', '.join(usable(dns.nameservers))} (/etc/resolv.conf).")]
    if usable(dns.systemd_nameservers):
        return [passed("dns-resolver", "warn", f"Pods forward to {', '.join(usable(dns.systemd_nameservers))} "
                                               "(/run/systemd/resolve/resolv.conf, which k3s takes instead).")]
    listed = ", ".join(dns.nameservers) or "none"
    return [problem("dns-resolver", "warn",
                    f"/etc/resolv.conf lists no nameserver pods can reach (listed: {listed}): a loopback resolver "
                    "does not answer inside a pod, so k3s points pods at 8.8.8.8, which an air-gapped host cannot "
                    "reach, and pods resolve no name outside the cluster.",
                    "List a nameserver of your network in /etc/resolv.conf (nameserver 10.0.0.2), or give k3s a file "
                    f"that has one: write `resolv-conf: /etc/k3s-resolv.conf` to {DROP_IN} and that nameserver line "
                    "to /etc/k3s-resolv.conf.")]


def check_hostname_resolves(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    name, found, want = facts.hostname, facts.dns.hostname_addresses, facts.cluster.advertise_addr
    line = f"{want or 'ADDRESS'} {name}"
    if found is None:
        return [problem("hostname-resolves", "warn", f"The host name {name} does not resolve.",
                        f"Add the line `{line}` to /etc/hosts.")]
    if want is None or want in found:
        return [passed("hostname-resolves", "warn", f"The host name {name} resolves to {', '.join(found)}.")]
    return [problem("hostname-resolves", "warn",
                    f"The host name {name} resolves to {', '.join(found)}, not to the advertise address {want}: "
                    "whatever reaches this node by name goes elsewhere.",
                    f"Add the line `{line}` to /etc/hosts and remove {name} from any 127.x line there.")]


def check_node_name(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    name = facts.hostname
    if len(name) <= 253 and NODE_NAME.match(name):
        return [passed("node-name", "fail", f"The host name {name} is a valid Kubernetes node name.")]
    fixed = re.sub(r"[^a-z0-9.-]+", "-", name.lower()).strip("-.") or "node-1"
    return [problem("node-name", "fail",
                    f"The host name {name} is not a valid Kubernetes node name (lower-case letters, digits, '-' and "
                    "'.', starting and ending with a letter or digit): k3s names the node after it and the kubelet "
                    "cannot register.",
                    f"Rename the host: hostnamectl set-hostname {fixed} (where systemd does not run: "
                    f"hostname {fixed} && echo {fixed} > /etc/hostname).")]


def check_dns(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    return [*check_resolver(facts, profile), *check_hostname_resolves(facts, profile), *check_node_name(facts, profile)]


DNS = Family("dns", "dns-resolver, hostname-resolves, node-name",
             "Pods get a reachable nameserver: /etc/resolv.conf has one that is not loopback, or k3s's resolv-conf "
             "is set (warn); the host name resolves to the advertise address (warn) and is a valid lower-case "
             "RFC 1123 node name (fail)", check_dns)
