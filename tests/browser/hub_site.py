"""A hub for the catalog's browser tests: `python -m hub serve` as a real process on loopback
(embedded SQLite), a vendor user, and hello 1.0.0, 1.1.0 and 1.2.0, small signed bundles published
through build.py's own publisher, 1.1.0 with its differential against 1.0.0 signed."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import requests
from airlift_build.bundle_writer import BundleMeta, write_bundle
from airlift_build.files import BundleFile
from airlift_build.publish import Publisher, PublishTarget, read_tar
from airlift_build.publish_differentials import sign_differentials
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from installer.bundle.signature import public_key_of, sign_index
from installer.transfer.pins import pinned_session
from tests.fixtures.net import free_port
from tests.fixtures.processes import stop_process

REPO = Path(__file__).resolve().parents[2]
USER, PASSWORD = "vendor", "a long enough password"
LAYER = b"shared layer " * 20000


class HubSite:
    def __init__(self, tmp: Path) -> None:
        self.tmp, self.data = tmp, tmp / "hub-data"
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.key = Ed25519PrivateKey.generate()
        self.key_id = public_key_of(self.key).key_id
        self.proc: subprocess.Popen[str] | None = None
        self.fingerprint = ""
        self.token = ""

    def _hub(self, *args: str, stdin: str | None = None) -> str:
        return subprocess.run([sys.executable, "-m", "hub", *args, "--data", str(self.data)], cwd=REPO, input=stdin,
                              capture_output=True, text=True, timeout=60, check=True).stdout

    def start(self) -> None:
        self._hub("migrate")
        self._hub("user", "add", USER, stdin=PASSWORD + "\n")
        self.token = self._hub("token", "create", "--scope", "publish").strip().splitlines()[-1]
        self.proc = subprocess.Popen([sys.executable, "-m", "hub", "serve", "--data", str(self.data), "--listen",
                                      f"127.0.0.1:{self.port}", "--panel-ports", "none"], cwd=REPO, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            found = re.search(r"--hub-fingerprint (SHA256:[0-9a-f]{64})", line)
            if found:
                self.fingerprint = found.group(1)
                break
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if self.api().get(f"{self.url}/api/v1/ping", timeout=2).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError("the hub did not answer within 20 s")

    def api(self) -> requests.Session:
        session = pinned_session(self.url, self.fingerprint.removeprefix("SHA256:"))
        session.headers["Authorization"] = f"Bearer {self.token}"
        return session

    def publish(self, version: str, sign_differentials_against: int = 0) -> None:
        path = self.tmp / f"hello-{version}.tar"
        path.write_bytes(_bundle(version, self.key))
        publisher = Publisher(PublishTarget(self.url, self.token, None, self.fingerprint))
        publisher.publish(path)
        sign_differentials(publisher, read_tar(path).index_bytes, lambda data: sign_index(data, self.key).to_json(),
                           sign_differentials_against)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


def _bundle(version: str, key: Ed25519PrivateKey) -> bytes:
    images = {"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "ab" * 32, "size": 7,
         "annotations": {"org.opencontainers.image.ref.name": ref}}
        for ref in (f"docker.io/hello/web:{version}", "docker.io/library/redis:7.2")]}
    files = [BundleFile("app.yaml", data=f"name: hello\nversion: {version}\n".encode()),
             BundleFile("install", data=b"#!/bin/sh\n", mode=0o755),
             BundleFile("images/index.json", data=json.dumps(images).encode()),
             BundleFile("images/blobs/sha256/" + "aa" * 32, data=LAYER),
             BundleFile("images/blobs/sha256/" + "cd" * 32, data=f"page {version}\n".encode() * 4000),
             BundleFile("runtime/k3s", data=b"k3s " * 50000, mode=0o755)]
    out = io.BytesIO()
    write_bundle(out, BundleMeta("hello", version, "0.0.test", "v1.31.1+k3s1"), files, lambda f: None,
                 sign=lambda data: sign_index(data, key).to_json())
    return out.getvalue()


def sign_in(page, user: str = USER, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """Fill the hub's sign-in form on `page` and send it."""
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
