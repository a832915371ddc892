"""Where k3s keeps its files on a node, and the text of the two files Airlift writes for it.

Every path is explicit and mapped through the root prefix, and the service passes `--config`; the
config then names data-dir, write-kubeconfig and private-registry, which real k3s honours, so under a
test root nothing leaks to the real /etc or /var.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from installer.host import Host
from installer.runtime.base import RuntimeConfig


@dataclass(frozen=True)
class K3sPaths:
    binary: Path
    config_dir: Path
    data_dir: Path
    cleanup: tuple[Path, ...]   # what uninstall removes besides binary, config dir and data dir

    @classmethod
    def of(cls, host: Host) -> K3sPaths:
        return cls(
            binary=host.path("/usr/local/bin/k3s"),
            config_dir=host.path("/etc/rancher/k3s"),
            data_dir=host.path("/var/lib/rancher/k3s"),
            cleanup=tuple(host.path(p) for p in ("/var/lib/kubelet", "/run/k3s", "/run/flannel", "/var/lib/cni")),
        )

    @property
    def config(self) -> Path:
        return self.config_dir / "config.yaml"

    @property
    def registries(self) -> Path:
        return self.config_dir / "registries.yaml"

    @property
    def registry_ca(self) -> Path:
        """The install's CA, which registries.yaml names for the local registry (removed with the
        config folder)."""
        return self.config_dir / "airlift-registry-ca.crt"

    @property
    def kubeconfig(self) -> Path:
        return self.config_dir / "k3s.yaml"

    @property
    def images(self) -> Path:
        return self.data_dir / "agent" / "images"

    @property
    def server_token(self) -> Path:
        """Where a running server writes the full join token (k3s's server/token)."""
        return self.data_dir / "server" / "token"


def new_token() -> str:
    """A short-form cluster token (the password part k3s accepts for the first server)."""
    return secrets.token_hex(24)


def render_config(config: RuntimeConfig, paths: K3sPaths, token: str) -> str:
    """config.yaml: token, node identity, CIDRs and every path, for a server or an agent."""
    values: dict[str, object] = {
        "token": token,
        "node-name": config.node_name,
        "data-dir": str(paths.data_dir),
        "private-registry": str(paths.registries),
        "disable-default-registry-endpoint": True,
    }
    if config.node_ip:
        values["node-ip"] = config.node_ip
    if config.server_url:
        values["server"] = config.server_url
    elif config.role == "server" and config.cluster_init:
        values["cluster-init"] = True
    if config.role == "server":
        values.update({
            "cluster-cidr": config.pod_cidr,
            "service-cidr": config.service_cidr,
            "https-listen-port": config.api_port,
            "write-kubeconfig": str(paths.kubeconfig),
            "write-kubeconfig-mode": "0600",
        })
    return yaml.safe_dump(values, sort_keys=False)


def render_registries(config: RuntimeConfig, paths: K3sPaths) -> str:
    """registries.yaml mirroring each registry the bundle's images name to the local registry and,
    when the config has its CA, trusting that CA and signing in to it (written 0600: it holds the
    password)."""
    mirrors = {name: {"endpoint": [config.registry_url]} for name in sorted(set(config.mirrored_registries))}
    values: dict[str, object] = {"mirrors": mirrors}
    if config.registry_ca:
        values["configs"] = {urlsplit(config.registry_url).netloc: {
            "auth": {"username": config.registry_user, "password": config.registry_password},
            "tls": {"ca_file": str(paths.registry_ca)},
        }}
    return yaml.safe_dump(values, sort_keys=False)


def configured_token(paths: K3sPaths) -> str | None:
    """The token already in config.yaml (so a second install keeps the cluster's token)."""
    if not paths.config.is_file():
        return None
    return (yaml.safe_load(paths.config.read_text()) or {}).get("token")


def join_token(paths: K3sPaths) -> str | None:
    """The full `K10<sha256 of the server CA>::server:<password>` token a running server wrote:
    a node joining with it checks the server's CA against the hash before it sends the password,
    which the short form cannot (k3s docs/cli/token.md). None until the server has run."""
    if not paths.server_token.is_file():
        return None
    token = paths.server_token.read_text().strip()
    return token if token.startswith("K10") and "::" in token else None
