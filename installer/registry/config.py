"""config.yml for Debian's docker-registry (distribution 2.8).

Filesystem storage under the state directory and no blob-descriptor cache: the installer writes the
storage directly, and a cache could answer "unknown" for blobs it had not seen being pushed.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from installer.services.names import REGISTRY


def render_config(storage: Path, address: str, port: int) -> str:
    """The registry's config.yml text."""
    config = {
        "version": 0.1,
        "log": {"level": "info", "fields": {"service": REGISTRY}},
        "storage": {
            "filesystem": {"rootdirectory": str(storage)},
            "delete": {"enabled": False},
            "maintenance": {"uploadpurging": {"enabled": False}, "readonly": {"enabled": False}},
        },
        "http": {"addr": f"{address}:{port}", "headers": {"X-Content-Type-Options": ["nosniff"]}},
    }
    return yaml.safe_dump(config, sort_keys=False)
