"""Helpers for build tests: variants of examples/hello and a real registry process."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import requests

from tests.fixtures.build_fixtures import HELLO


def hello_variant(tmp: Path, images: dict[str, str]) -> Path:
    """A copy of examples/hello whose resources name other images; returns its app.yaml."""
    dest = tmp / "app"
    shutil.copytree(HELLO, dest, ignore=shutil.ignore_patterns(".images", "images"))
    for path in (dest / "resources").glob("*.yaml"):
        text = path.read_text()
        for old, new in images.items():
            text = text.replace(f"image: {old}", f"image: {new}")
        path.write_text(text)
    return dest / "app.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RegistryProcess:
    """Debian's docker-registry serving a folder on a free loopback port."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        config = tmp / "registry.yml"
        config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp / 'data'}\n"
                          f"http:\n  addr: {self.address}\n")
        self.proc = subprocess.Popen(["docker-registry", "serve", str(config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://{self.address}/v2/", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("docker-registry did not start")

    def push_oci(self, layout: Path, ref: str, repo_tag: str) -> None:
        subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"oci:{layout}:{ref}",
                        f"docker://{self.address}/{repo_tag}"], check=True, capture_output=True, timeout=120)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
