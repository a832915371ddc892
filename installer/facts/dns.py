"""What pods would use as upstream nameservers, and what this host's name resolves to.

k3s hands the kubelet /etc/resolv.conf unless it holds only loopback, multicast or link-local
nameservers; then it tries /run/systemd/resolve/resolv.conf, and last writes its own pointing at
8.8.8.8, which an air-gapped host cannot reach. `resolv-conf` in k3s's config overrides all that.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import yaml

from installer.facts.host_record import DnsFacts

RESOLVE_TIMEOUT_S = 3.0


def read_nameservers(path: Path) -> list[str] | None:
    """The nameserver lines of a resolv.conf, None when the file cannot be read."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    servers = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver":
            servers.append(words[1])
    return servers


def k3s_resolv_conf(root: Path) -> str | None:
    """`resolv-conf` from k3s's config.yaml and its drop-ins (the last one wins, as in k3s)."""
    config_dir = root / "etc/rancher/k3s"
    files = [config_dir / "config.yaml", *sorted((config_dir / "config.yaml.d").glob("*.yaml"))]
    found = None
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and data.get("resolv-conf"):
            found = str(data["resolv-conf"])
    return found


def resolve(name: str, timeout: float = RESOLVE_TIMEOUT_S) -> list[str] | None:
    """The IPv4 addresses `name` resolves to, None when it does not resolve within `timeout`.

    The lookup runs in a daemon thread: a host whose nameserver is unreachable must not hold the
    checks for the resolver's full retry cycle.
    """
    found: list[list[str] | None] = [None]

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)
        except OSError:
            return
        found[0] = sorted({str(info[4][0]) for info in infos})

    worker = threading.Thread(target=lookup, daemon=True, name="airlift-resolve")
    worker.start()
    worker.join(timeout)
    return found[0]


def dns_facts(system: Path, root: Path, hostname: str) -> DnsFacts:
    """`system` is the running system (resolv.conf), `root` the prefix k3s's config lives under."""
    return DnsFacts(
        nameservers=read_nameservers(system / "etc/resolv.conf"),
        systemd_nameservers=read_nameservers(system / "run/systemd/resolve/resolv.conf") or [],
        k3s_resolv_conf=k3s_resolv_conf(root),
        hostname_addresses=resolve(hostname),
    )
