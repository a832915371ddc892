"""The local container registry every node pulls the application's images from.

It is Debian's docker-registry (distribution 2.8) binary carried in the bundle, run as a service
(systemd unit or Airlift's supervisor) so it outlives the installer and restarts on crash. Its
filesystem storage lives under the state directory and is filled directly from the bundle.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, NoReturn

import requests

from installer.bundle import Bundle
from installer.errors import AirliftError
from installer.host import Host
from installer.ports import REGISTRY_PORT
from installer.registry.config import render_config
from installer.registry.populate import populate as fill_storage
from installer.registry.verify import verify_images
from installer.services import ServiceManager
from installer.services.names import REGISTRY
from installer.statedir import StateDir

DOWN_LIMIT_S = 5.0
Progress = Callable[[int, int], None]


class Registry:
    """Install, start, fill, verify and remove the local registry."""

    def __init__(self, host: Host, services: ServiceManager, state_dir: Path, port: int = REGISTRY_PORT,
                 address: str = "127.0.0.1") -> None:
        self.host = host
        self.services = services
        self.dir = StateDir(state_dir).registry
        self.port = port
        self.address = address

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}"

    @property
    def binary(self) -> Path:
        return self.dir / "bin" / "registry"

    @property
    def config(self) -> Path:
        return self.dir / "config.yml"

    @property
    def storage(self) -> Path:
        return self.dir / "storage"

    def install(self, binary: BinaryIO) -> None:
        """Copy the registry binary (a stream from the bundle), write its config, set up the service."""
        self.host.write_file(self.binary, binary, mode=0o755)
        self.host.write_file(self.config, render_config(self.storage, self.address, self.port))
        self.storage.mkdir(parents=True, exist_ok=True)
        self.services.install(REGISTRY, [str(self.binary), "serve", str(self.config)])

    def start(self) -> None:
        self.services.start(REGISTRY)

    def answering(self) -> bool:
        """True when the registry answers its API root (GET /v2/ -> 200)."""
        try:
            return requests.get(f"{self.url}/v2/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until the registry answers; a clear error with its log tail otherwise.

        A registry that keeps exiting (bad binary, bad config, port taken) is down for
        DOWN_LIMIT_S in a row while its service restarts it with backoff: that fails at once
        rather than after the whole timeout.
        """
        deadline = time.monotonic() + timeout
        up_seen = time.monotonic()
        while (now := time.monotonic()) < deadline:
            if self.answering():
                return
            if self.services.is_running(REGISTRY):
                up_seen = now
            elif now - up_seen >= DOWN_LIMIT_S:
                self._not_ready(f"The registry program keeps exiting instead of answering at {self.url}")
            time.sleep(0.2)
        self._not_ready(f"The registry did not answer at {self.url} within {timeout:.0f}s")

    def _not_ready(self, message: str) -> NoReturn:
        """Stop the service (nothing keeps crash-looping after the failure) and say why."""
        details = self.services.log_tail(REGISTRY)
        self.services.stop(REGISTRY)
        raise AirliftError(message, details=details,
                           hint=f"Read why in the registry log ({self.services.log_where(REGISTRY)}) above, and check that port {self.port} "
                                "is free")

    def populate(self, bundle: Bundle, progress: Progress | None = None) -> None:
        """Fill storage with every image of the bundle (progress in bytes)."""
        fill_storage(bundle, self.storage, progress)

    def verify(self, bundle: Bundle, progress: Progress | None = None) -> None:
        """Prove through the HTTP API that every manifest and blob of the bundle is served
        (progress in items)."""
        verify_images(self.url, bundle.image_contents(), progress)

    def uninstall(self) -> None:
        """Stop and remove the service, then the binary, config and storage (idempotent)."""
        self.services.remove(REGISTRY)
        self.host.remove(self.dir)
