"""config.yml for Debian's docker-registry (distribution 2.8).

Sealed: read-only storage (the installer fills it from disk, so nothing is ever pushed), HTTPS
with a certificate from the install's CA, and htpasswd authentication, so an anonymous pull, any
push and a plain-HTTP request are refused. Filesystem storage under the state directory and no
blob-descriptor cache: the installer writes the storage directly, and a cache could answer
"unknown" for blobs it had not seen being pushed. Its debug listener serves its Prometheus
metrics on loopback only, where the first master's Prometheus scrapes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from installer.ports import REGISTRY_METRICS_PORT
from installer.services.names import REGISTRY


@dataclass(frozen=True)
class RegistryFiles:
    """Where the registry's storage, certificate, key and htpasswd file are."""

    storage: Path
    cert: Path
    key: Path
    htpasswd: Path


def render_config(files: RegistryFiles, address: str, port: int, metrics_port: int = REGISTRY_METRICS_PORT) -> str:
    """The registry's config.yml text."""
    config = {
        "version": 0.1,
        "log": {"level": "info", "fields": {"service": REGISTRY}},
        "storage": {
            "filesystem": {"rootdirectory": str(files.storage)},
            "delete": {"enabled": False},
            "maintenance": {"uploadpurging": {"enabled": False}, "readonly": {"enabled": True}},
        },
        "auth": {"htpasswd": {"realm": REGISTRY, "path": str(files.htpasswd)}},
        "http": {
            "addr": f"{address}:{port}",
            "tls": {"certificate": str(files.cert), "key": str(files.key)},
            "headers": {"X-Content-Type-Options": ["nosniff"]},
            "debug": {"addr": f"127.0.0.1:{metrics_port}", "prometheus": {"enabled": True, "path": "/metrics"}},
        },
    }
    return yaml.safe_dump(config, sort_keys=False)
