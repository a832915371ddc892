"""The local container registry every node pulls the application's images from.

It is Debian's docker-registry (distribution 2.8) binary carried in the bundle, run as a service
(systemd unit or Airlift's supervisor) so it outlives the installer and restarts on crash. Its
filesystem storage lives under the state directory and is filled directly from the bundle. It is
sealed (registry/config.py): read-only, HTTPS with a certificate signed by the install's CA, and
one user whose password is made per install; whoever pulls (the nodes, `./install status`) is given
the CA and the credentials.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, NoReturn

import requests

from installer.bundle import Bundle, ImageInfo
from installer.errors import AirliftError
from installer.host import Host
from installer.ports import REGISTRY_METRICS_PORT, REGISTRY_PORT
from installer.readfile import read_text
from installer.registry.config import RegistryFiles, render_config
from installer.registry.credentials import Credentials, ensure_credentials, ensure_htpasswd, load_credentials
from installer.registry.populate import populate as fill_storage
from installer.registry.verify import tag_problems, verify_images
from installer.services import ServiceManager
from installer.services.names import REGISTRY
from installer.statedir import StateDir
from installer.tls import ensure_ca, ensure_signed_certificate

DOWN_LIMIT_S = 5.0
ANSWER_TIMEOUT_S = 5.0
Progress = Callable[[int, int], None]


class Registry:
    """Install, start, fill, verify and remove the local registry."""

    def __init__(self, host: Host, services: ServiceManager, state_dir: Path, port: int = REGISTRY_PORT,
                 address: str = "127.0.0.1", metrics_port: int = REGISTRY_METRICS_PORT) -> None:
        self.host = host
        self.services = services
        self.state = StateDir(state_dir)
        self.dir = self.state.registry
        self.port = port
        self.address = address
        self.metrics_port = metrics_port

    @property
    def url(self) -> str:
        return f"https://{self.address}:{self.port}"

    @property
    def host_port(self) -> str:
        """`address:port`, the key of the registry's entry under registries.yaml's `configs`."""
        return f"{self.address}:{self.port}"

    @property
    def ca_file(self) -> Path:
        """The install's CA, which signed the registry's certificate."""
        return self.state.tls_ca_cert

    def credentials(self) -> Credentials | None:
        """The user nodes pull as; None before the registry is installed."""
        return load_credentials(self.state.registry_credentials)

    @property
    def files(self) -> RegistryFiles:
        return RegistryFiles(storage=self.state.registry_storage, cert=self.dir / "tls" / "registry.crt",
                             key=self.dir / "tls" / "registry.key", htpasswd=self.dir / "htpasswd")

    @property
    def binary(self) -> Path:
        return self.dir / "bin" / "registry"

    @property
    def config(self) -> Path:
        return self.dir / "config.yml"

    @property
    def storage(self) -> Path:
        return self.files.storage

    def install(self, binary: BinaryIO) -> Credentials:
        """Copy the registry binary (a stream from the bundle); make the CA, the registry's
        certificate and credentials unless kept ones still fit; write its config; set up the
        service. Returns the credentials the nodes will pull with.

        A running registry is stopped when its config, certificate or users changed, since it reads
        them only at start; `start()` then brings it up with the new ones.
        """
        files = self.files
        before = _contents(files.cert, files.htpasswd, self.config)
        self.host.write_file(self.binary, binary, mode=0o755)
        ensure_signed_certificate(ensure_ca(self.state.root), files.cert, files.key, self.address)
        credentials = ensure_credentials(self.host, self.state.registry_credentials)
        ensure_htpasswd(self.host, files.htpasswd, credentials)
        self.host.write_file(self.config, render_config(files, self.address, self.port, self.metrics_port))
        files.storage.mkdir(parents=True, exist_ok=True)
        self.services.install(REGISTRY, [str(self.binary), "serve", str(self.config)])
        if before != _contents(files.cert, files.htpasswd, self.config) and self.services.is_running(REGISTRY):
            self.services.stop(REGISTRY)
        return credentials

    def start(self) -> None:
        self.services.start(REGISTRY)

    def session(self) -> requests.Session:
        """An HTTP session that trusts the install's CA and signs in as the registry's user.

        It ignores the environment: REQUESTS_CA_BUNDLE would replace the CA, and a proxy set for
        the internet has no business carrying the credentials to a registry on the LAN.
        """
        session = requests.Session()
        session.trust_env = False
        session.verify = str(self.ca_file)
        credentials = self.credentials()
        if credentials is not None:
            session.auth = (credentials.username, credentials.password)
        return session

    def answering(self, attempts: int = 2) -> bool:
        """True when the registry answers its API root, over TLS and signed in (GET /v2/ -> 200).
        Asked twice with a few seconds each: a busy host slows the registry's password check, and
        one slow answer must not make status call the site down."""
        for _ in range(attempts):
            try:
                with self.session() as session:
                    if session.get(f"{self.url}/v2/", timeout=ANSWER_TIMEOUT_S).status_code == 200:
                        return True
            except (requests.RequestException, OSError):
                pass
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
            if self.answering(attempts=1):
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
        with self.session() as session:
            verify_images(session, self.url, bundle.image_contents(), progress)

    def image_problems(self, images: list[ImageInfo]) -> list[str]:
        """What is wrong with each image's tag as the registry serves it (empty when all is well)."""
        with self.session() as session:
            return tag_problems(session, self.url, images)

    def uninstall(self) -> None:
        """Stop and remove the service, then the binary, config, storage, certificate, credentials
        and the install's CA (idempotent)."""
        self.services.remove(REGISTRY)
        self.host.remove(self.dir)
        for path in (self.state.registry_credentials, self.state.tls_ca_cert, self.state.tls_ca_key):
            self.host.remove(path)
        if self.state.tls.is_dir() and not any(self.state.tls.iterdir()):
            self.state.tls.rmdir()


def _contents(*paths: Path) -> list[str]:
    return [(read_text(p) or "") for p in paths]

