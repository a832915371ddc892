"""The runtime interface: what any Kubernetes distribution must offer the installer."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from installer.ports import API_PORT


@dataclass(frozen=True)
class RuntimeConfig:
    """What one node's runtime needs to know.

    `mirrored_registries` are the registries the bundle's images name (docker.io, quay.io, ...):
    each is mirrored to `registry_url`, the local registry, which the node trusts through
    `registry_ca` (the install's CA, PEM) and signs in to as `registry_user`. A node joins an
    existing cluster when `server_url` and `token` are given; the first server generates the token
    when `token` is None.
    `cluster_init` starts the first server with embedded etcd, without which no other server can
    ever join it (a single server's SQLite datastore takes no second server).
    """

    node_name: str
    node_ip: str             # "" lets k3s pick the address of the default route
    registry_url: str
    mirrored_registries: Sequence[str]
    role: str = "server"
    pod_cidr: str = "10.42.0.0/16"
    service_cidr: str = "10.43.0.0/16"
    api_port: int = API_PORT
    server_url: str | None = None
    token: str | None = field(default=None, repr=False)
    cluster_init: bool = False
    registry_ca: str = ""
    registry_user: str = ""
    registry_password: str = field(default="", repr=False)


class Runtime(Protocol):
    """A Kubernetes distribution, installed and run on one node."""

    def install(self, binary: BinaryIO, images: Mapping[str, BinaryIO], config: RuntimeConfig) -> None: ...

    def start(self) -> None: ...

    def wait_ready(self, node: str, timeout: float) -> None: ...

    def kubectl(self, args: Sequence[str]) -> str: ...

    def apply(self, paths: Sequence[Path]) -> None: ...

    def run_job(self, hook: str, job: dict, timeout: float, on_log: Callable[[str], None]) -> None: ...

    def drain(self, node: str, timeout: float) -> None: ...

    def delete_node(self, node: str) -> None: ...

    def status(self) -> dict: ...

    def token(self) -> str | None: ...

    def configured_token(self) -> str | None: ...

    def uninstall(self) -> None: ...

