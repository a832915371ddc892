"""Small real bundles written with the real writer, for the reader's and verifier's tests."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

from airlift_build.bundle_writer import BundleMeta, write_bundle
from airlift_build.files import BundleFile

COMPRESSIBLE = b"all work and no play makes a dull bundle\n" * 2000
RANDOM = os.urandom(64 * 1024)
META = BundleMeta("demo", "1.2.3", "0.1.0")


def demo_files() -> list[BundleFile]:
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "a" * 64,
        "size": 10, "annotations": {"org.opencontainers.image.ref.name": "docker.io/demo/app:1"}}]}
    return [
        BundleFile("install", data=b"#!/bin/sh\necho install\n", mode=0o755),
        BundleFile("runtime/k3s", data=COMPRESSIBLE, mode=0o755, compress=True),
        BundleFile("runtime/noise", data=RANDOM, compress=True),
        BundleFile("images/index.json", data=json.dumps(index).encode()),
        BundleFile("resources/app.yaml", data=b"kind: Service\n"),
    ]


def write_demo(path: Path, files: list[BundleFile] | None = None) -> bytes:
    buf = io.BytesIO()
    write_bundle(buf, META, files if files is not None else demo_files(), lambda f: None)
    path.write_bytes(buf.getvalue())
    return buf.getvalue()
