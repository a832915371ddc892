#!/usr/bin/env python3
"""The upgrade's bytes: how small a differential bundle is against what is really new.

Version 1.0.0 has 500 MB of images; 1.1.0 shares 400 MB of them and adds 100 MB of its own (random,
so compression does not flatter the figure). Both are built from one OCI layout with the same
runtime; 1.1.0 is built differential against the 1.0.0 bundle (`build.py --since`). Printed: the
differential bundle's size against the new unique bytes (the 1.1.0 blobs 1.0.0 lacks) plus the
installer it always carries (`diff_size_ratio`, goal <= 1.02), the full 1.1.0 bundle's size for
comparison, and the build time of the differential bundle. The last line is one JSON object.
"""

from __future__ import annotations

import json
import os
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "packaging"), str(REPO), str(Path(__file__).resolve().parent)]

from build_bench import json_blob, write_blob  # noqa: E402 - after the path set-up above

MB = 1 << 20
SHARED_MB, OWN_MB, LAYER_MB = 400, 100, 50
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"


def random_layer(root: Path, mb: int) -> dict:
    return write_blob(root, (os.urandom(MB) for _ in range(mb)))


def image(root: Path, ref: str, layers: list[dict]) -> dict:
    config = json_blob(root, {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/app"]},
                              "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in layers]}}, CONFIG)
    m = json_blob(root, {"schemaVersion": 2, "mediaType": MANIFEST, "config": config, "layers": layers}, MANIFEST)
    m["annotations"] = {"org.opencontainers.image.ref.name": ref}
    return m


def make_layout(root: Path) -> None:
    """One layout holding docker.io/bench/app:1.0.0 and :1.1.0, sharing SHARED_MB of layers."""
    (root / "blobs" / "sha256").mkdir(parents=True)
    shared = [random_layer(root, LAYER_MB) for _ in range(SHARED_MB // LAYER_MB)]
    manifests = [image(root, f"docker.io/bench/app:{version}",
                       shared + [random_layer(root, LAYER_MB) for _ in range(OWN_MB // LAYER_MB)])
                 for version in ("1.0.0", "1.1.0")]
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": manifests}))


def make_app(root: Path, version: str) -> Path:
    (root / "resources").mkdir(parents=True)
    (root / "resources" / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bench\nspec:\n  selector:\n"
        "    matchLabels: {app: bench}\n  template:\n    metadata:\n      labels: {app: bench}\n"
        f"    spec:\n      containers:\n        - name: app\n          image: bench/app:{version}\n")
    (root / "app.yaml").write_text("apiVersion: bundle.gravitational.io/v2\nkind: Bundle\nmetadata:\n"
                                   f"  name: bench\n  resourceVersion: {version}\n")
    return root / "app.yaml"


def build(app: Path, out: Path, k3s: Path, layout: Path, *extra: str) -> float:
    """Seconds build.py's main() takes, in this process (the installer is frozen before the clock)."""
    from airlift_build import cli, installer_payload

    payload = installer_payload.installer_files(REPO, out.parent)
    cli.installer_files = lambda repo, work: payload  # type: ignore[attr-defined]
    start = time.monotonic()
    code = cli.main([str(app), "-o", str(out), "--k3s", str(k3s), "--no-k3s-images",
                     "--source", f"oci:{layout}", "-q", *extra])
    if code != 0:
        raise SystemExit(f"build of {app} failed with exit code {code}")
    return time.monotonic() - start


def index(tar_path: Path, top: str) -> dict:
    with tarfile.open(tar_path) as tar:
        return json.load(tar.extractfile(f"{top}/index.json"))  # type: ignore[arg-type]


def figures(work: Path, diff_s: float) -> dict:
    old = {f["path"] for f in index(work / "v1.0.tar", "bench-1.0.0")["files"]}
    new = index(work / "v1.1-full.tar", "bench-1.1.0")["files"]
    blobs = work / "oci" / "blobs" / "sha256"
    new_unique = sum((blobs / f["path"].rsplit("/", 1)[1]).stat().st_size for f in new
                     if f["path"].startswith("images/blobs/") and f["path"] not in old)
    installer = sum(f["size"] for f in new if f["path"] == "install" or f["path"].startswith("bin/"))
    diff = (work / "v1.1-diff.tar").stat().st_size
    return {"diff_size_ratio": round(diff / (new_unique + installer), 4), "diff_bundle_bytes": diff,
            "new_unique_bytes": new_unique, "installer_bytes": installer,
            "full_bundle_bytes": (work / "v1.1-full.tar").stat().st_size, "diff_build_s": round(diff_s, 2)}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="airlift-upgrade-bench-") as tmp:
        work = Path(tmp)
        make_layout(work / "oci")
        k3s = work / "k3s"
        k3s.write_bytes(b"#!/bin/sh\necho 'k3s version v1.30.6+k3s1 (bench)'\n")
        k3s.chmod(0o755)
        build(make_app(work / "app-1.0", "1.0.0"), work / "v1.0.tar", k3s, work / "oci")
        app = make_app(work / "app-1.1", "1.1.0")
        build(app, work / "v1.1-full.tar", k3s, work / "oci")
        diff_s = build(app, work / "v1.1-diff.tar", k3s, work / "oci", "--since", str(work / "v1.0.tar"))
        result = figures(work, diff_s)
    for key, value in result.items():
        print(f"{key:20} {value}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
