"""Small bundles made in memory by build.py's own writer, to publish in hub tests."""

from __future__ import annotations

import io
import json
import tarfile
from dataclasses import dataclass

from airlift_build.bundle_writer import BundleMeta, write_bundle
from airlift_build.files import BundleFile
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from installer.bundle.index import Index
from installer.bundle.signature import sign_index


@dataclass(frozen=True)
class TinyBundle:
    tar: bytes
    index_bytes: bytes
    signature: bytes | None

    @property
    def index(self) -> Index:
        return Index.from_json(self.index_bytes)

    def stored(self, path: str) -> bytes:
        """The stored bytes of a logical path, from the tarball."""
        entry = next(e for e in self.index.files if e.path == path)
        with tarfile.open(fileobj=io.BytesIO(self.tar)) as tar:
            member = tar.extractfile(f"{self.index.name}-{self.index.version}/{entry.stored_path}")
            assert member is not None
            return member.read()

    def blobs(self) -> dict[str, bytes]:
        return {e.sha256: self.stored(e.path) for e in self.index.files}


def tiny_bundle(version: str = "1.0.0", page: bytes = b"<h1>hello</h1>\n", name: str = "hello") -> TinyBundle:
    images = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "ab" * 32, "size": 7,
        "annotations": {"org.opencontainers.image.ref.name": f"docker.io/library/{name}:{version}"}}]}
    files = [BundleFile("app.yaml", data=f"name: {name}\nversion: {version}\n".encode()),
             BundleFile("resources/page.html", data=page),
             BundleFile("resources/big.txt", data=b"airlift " * 4096, compress=True),
             BundleFile("images/index.json", data=json.dumps(images).encode()),
             BundleFile("install", data=b"#!/bin/sh\n", mode=0o755),
             BundleFile("empty", data=b"")]
    out = io.BytesIO()
    write_bundle(out, BundleMeta(name, version, "0.0.test"), files, lambda f: None)
    tar = out.getvalue()
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        member = archive.extractfile(f"{name}-{version}/index.json")
        assert member is not None
        return TinyBundle(tar, member.read(), None)


VENDOR_KEY = Ed25519PrivateKey.generate()


def signed(bundle: TinyBundle, key: Ed25519PrivateKey = VENDOR_KEY) -> bytes:
    """signature.json for the bundle's index, as `build.py --sign` writes it."""
    return sign_index(bundle.index_bytes, key).to_json()


def upload_all(api: FlaskClient, bundle: TinyBundle) -> None:
    for sha256, data in bundle.blobs().items():
        span = f"bytes 0-{len(data) - 1}/{len(data)}" if data else "bytes */0"
        response = api.put(f"/api/v1/blobs/{sha256}", data=data, headers={"Content-Range": span})
        assert response.status_code == 200, response.json
        assert response.json["complete"]


def commit(api: FlaskClient, bundle: TinyBundle, channel: str | None = None,
           signature: bytes | None = None) -> TestResponse:
    sig = signature if signature is not None else bundle.signature
    return api.post("/api/v1/releases", json={"index": bundle.index_bytes.decode(), "channel": channel,
                                              "signature": sig.decode() if sig is not None else None})
