#!/usr/bin/env python3
"""How long filling the registry storage from an unpacked bundle takes, against `cp -r` of its blobs.

Builds an unpacked bundle whose OCI layout holds incompressible layers (stored raw, as a bundle
stores gzip'd layers) of at least --size-mb, then times, on the same filesystem and with a warm page cache for both:
  cp_s            `cp -r images/blobs <dest>`
  populate_s      Airlift's populate (hard links where the bundle and state dir share a filesystem)
  populate_copy_s the same with hard links refused (the other-filesystem path: one in-kernel copy)
  populate_zst_s  a layout of compressible layers stored as .zst, decompressed while copying
                  (against cp_zst_s, `cp -r` of those stored .zst blobs)
and prints them; the last line is JSON {"populate_s", "cp_s", "ratio", ...}. Goal: ratio <= 1.2.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import installer.registry.populate as populate_module  # noqa: E402
from installer.bundle import Bundle  # noqa: E402
from tests.fixtures.oci_layout import LayoutWriter, index_bundle  # noqa: E402

LAYER_MB = 32


def make_bundle(root: Path, size_mb: int, zstd: bool = False) -> Bundle:
    """A bundle of images of two layers each plus one shared base layer, `size_mb` in all.

    Raw layouts get random (incompressible) layers; zstd layouts get text-like layers that
    compress about 4:3, as binaries do.
    """
    layer = (lambda: base64.b64encode(os.urandom(LAYER_MB * 3 << 18))) if zstd else \
        (lambda: os.urandom(LAYER_MB << 20))
    writer = LayoutWriter(root / "images", zstd=zstd)
    base = layer()
    count = max(1, (size_mb - LAYER_MB) // (2 * LAYER_MB) + 1)
    for i in range(count):
        writer.image(f"docker.io/bench/app{i}:1.0", [base, layer(), layer()])
    writer.finish()
    return index_bundle(root)


def blob_bytes(layout: Path) -> int:
    return sum(p.stat().st_size for p in (layout / "blobs" / "sha256").iterdir())


def timed(action) -> float:
    began = time.perf_counter()
    action()
    subprocess.run(["sync"], check=True)
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=520)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp dir)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="airlift-registry-bench-", dir=args.dir))
    try:
        bundle = make_bundle(work / "bundle", args.size_mb)
        layout = bundle.root / "images"
        subprocess.run(["sync"], check=True)
        size = blob_bytes(layout)
        print(f"layout: {size / 1e6:.0f} MB in {len(list((layout / 'blobs' / 'sha256').iterdir()))} blobs")
        subprocess.run(["cat", *map(str, (layout / "blobs" / "sha256").iterdir())], stdout=subprocess.DEVNULL)
        cp_s = timed(lambda: subprocess.run(["cp", "-r", str(layout / "blobs"), str(work / "cp")], check=True))
        populate_s = timed(lambda: populate_module.populate(bundle, work / "storage-link"))
        real_link = populate_module._try_link
        populate_module._try_link = lambda source, dest: False
        try:
            copy_s = timed(lambda: populate_module.populate(bundle, work / "storage-copy"))
        finally:
            populate_module._try_link = real_link
        packed_bundle = make_bundle(work / "bundle-zst", args.size_mb, zstd=True)
        packed = packed_bundle.root / "images"
        subprocess.run(["sync"], check=True)
        cp_zst_s = timed(lambda: subprocess.run(["cp", "-r", str(packed / "blobs"), str(work / "cp-zst")],
                                                check=True))
        zst_s = timed(lambda: populate_module.populate(packed_bundle, work / "storage-zst"))
        result = {"populate_s": round(populate_s, 3), "cp_s": round(cp_s, 3),
                  "ratio": round(populate_s / cp_s, 3), "populate_copy_s": round(copy_s, 3),
                  "ratio_copy": round(copy_s / cp_s, 3), "populate_zst_s": round(zst_s, 3),
                  "cp_zst_s": round(cp_zst_s, 3), "bytes": size}
        print(f"cp -r: {cp_s:.2f}s  populate (hard links): {populate_s:.2f}s  "
              f"populate (in-kernel copy): {copy_s:.2f}s")
        print(f"zstd-stored layout: cp -r {cp_zst_s:.2f}s  populate (decompressing) {zst_s:.2f}s")
        print(json.dumps(result))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
