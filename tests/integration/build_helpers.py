"""Helpers for build tests: variants of examples/hello and a real registry process."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from tests.fixtures.build_fixtures import HELLO
from tests.fixtures.net import free_port


def airgap_tar(tmp: Path) -> bytes:
    """A small tar shaped like k3s's air-gap images archive (a docker-archive manifest.json)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = json.dumps([{"Config": "c.json", "RepoTags": ["docker.io/rancher/mirrored-pause:3.6"],
                            "Layers": []}]).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def fake_k3s(tmp: Path, version: str) -> Path:
    """A tiny program answering --version like a k3s release of `version`."""
    path = tmp / f"k3s-{version}"
    path.write_text(f"#!/bin/sh\necho 'k3s version {version} (0123abcd)'\necho 'go version go1.21.6'\n")
    path.chmod(0o755)
    return path


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


class RegistryProcess:
    """Debian's docker-registry serving a folder on a free loopback port; with `user`, it lets
    only that user (htpasswd, bcrypt by `htpasswd -B`) pull or push."""

    def __init__(self, tmp: Path, user: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.user = user
        config = tmp / "registry.yml"
        text = (f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp / 'data'}\n"
                f"http:\n  addr: {self.address}\n")
        if user:
            subprocess.run(["htpasswd", "-B", "-b", "-c", str(tmp / "htpasswd"), *user], check=True,
                           capture_output=True)
            text += f"auth:\n  htpasswd:\n    realm: airlift-test\n    path: {tmp / 'htpasswd'}\n"
        config.write_text(text)
        self.proc = subprocess.Popen(["docker-registry", "serve", str(config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://{self.address}/v2/", timeout=1, auth=user).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("docker-registry did not start")

    def push_oci(self, layout: Path, ref: str, repo_tag: str) -> None:
        creds = [f"--dest-creds={':'.join(self.user)}"] if self.user else []
        subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", *creds, f"oci:{layout}:{ref}",
                        f"docker://{self.address}/{repo_tag}"], check=True, capture_output=True, timeout=120)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


class TokenAuthProxy:
    """A registry front that demands a bearer token, the way Docker Hub does: 401 with a
    `WWW-Authenticate: Bearer realm=…` challenge, a token endpoint, then the upstream's answers.
    With `login` (user, password) the token endpoint gives tokens only to that user, as the
    token service of a private repository does."""

    TOKEN = "t0k3n-for-tests"

    def __init__(self, upstream: str, login: tuple[str, str] | None = None) -> None:
        self.scopes: list[str] = []
        proxy = self
        basic = "Basic " + base64.b64encode(":".join(login).encode()).decode() if login else None

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/token" and basic and self.headers.get("Authorization") != basic:
                    self._send(401, {"WWW-Authenticate": 'Basic realm="token"'}, b"")
                elif url.path == "/token":
                    proxy.scopes += parse_qs(url.query).get("scope", [])
                    self._send(200, {"Content-Type": "application/json"}, json.dumps({"token": proxy.TOKEN}).encode())
                elif self.headers.get("Authorization") != f"Bearer {proxy.TOKEN}":
                    challenge = (f'Bearer realm="http://{proxy.address}/token",service="test",'
                                 f'scope="repository:{url.path.split("/")[2]}/{url.path.split("/")[3]}:pull"')
                    self._send(401, {"WWW-Authenticate": challenge}, b"")
                else:
                    up = requests.get(f"http://{upstream}{self.path}", timeout=30,
                                      headers={"Accept": self.headers.get("Accept", "*/*")})
                    keep = {k: v for k, v in up.headers.items() if k in ("Content-Type", "Docker-Content-Digest")}
                    self._send(up.status_code, keep, up.content)

            def _send(self, code: int, headers: dict, body: bytes) -> None:
                self.send_response(code)
                for k, v in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
