#!/usr/bin/env python3
"""How long filling the registry storage from an unpacked bundle takes, each way against its floor.

Builds unpacked bundles whose OCI layout holds at least --size-mb of layers, then times on one
filesystem, with the page cache warm for every side (the layouts were just written) and `sync`
inside every timing, RUNS alternating rounds of:
  cp_s        `cp -r images/blobs <dest>`: the floor of a copy
  copy_s      Airlift's populate with hard links refused (a bundle on another filesystem):
              one streaming copy of every blob
  link_s      Airlift's populate as it runs when bundle and state dir share a filesystem
  zstd_d_s    `zstd -d` of the stored .zst blobs of a layout whose layers compress about 4:3:
              the floor of decompressing
  zst_s       Airlift's populate of that layout, decompressing while it copies
Medians are kept. The last line is JSON: `ratio` = copy_s / cp_s (goal <= 1.2), `ratio_link` =
link_s / cp_s (not a like-for-like figure: a link copies nothing), `ratio_zst` = zst_s / zstd_d_s
(goal <= 1.3), each with its spread over the rounds.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import installer.registry.populate as populate_module  # noqa: E402
from installer.bundle import Bundle  # noqa: E402
from tests.fixtures.oci_layout import LayoutWriter, index_bundle  # noqa: E402

LAYER_MB = 32
RUNS = 5


def make_bundle(root: Path, size_mb: int, zstd: bool = False) -> Bundle:
    """A bundle of images of two layers each plus one shared base layer, `size_mb` in all.

    Raw layouts get random (incompressible) layers, stored raw as a bundle stores gzip'd
    layers; zstd layouts get text-like layers that compress about 4:3, as binaries do.
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


def blobs(bundle: Bundle) -> list[Path]:
    return sorted((bundle.root / "images" / "blobs" / "sha256").iterdir())


def timed(action: Callable[[], object], dest: Path) -> float:
    """Seconds `action` takes to fill `dest` and get it to disk; `dest` is removed afterwards."""
    began = time.perf_counter()
    action()
    subprocess.run(["sync"], check=True)
    elapsed = time.perf_counter() - began
    shutil.rmtree(dest)
    subprocess.run(["sync"], check=True)
    return elapsed


def copy_only(bundle: Bundle, storage: Path) -> None:
    """populate as on a bundle that sits on another filesystem than the state dir."""
    real_link = populate_module._try_link
    populate_module._try_link = lambda source, dest: False
    try:
        populate_module.populate(bundle, storage)
    finally:
        populate_module._try_link = real_link


def rounds(work: Path, raw: Bundle, packed: Bundle) -> dict[str, list[float]]:
    """RUNS alternating rounds of every side; each side's times in a list."""
    def run(argv: list[str]) -> None:
        subprocess.run(argv, check=True)

    dest = work / "dest"
    sides: dict[str, Callable[[], object]] = {
        "cp_s": lambda: run(["cp", "-r", str(raw.root / "images" / "blobs"), str(dest)]),
        "copy_s": lambda: copy_only(raw, dest),
        "link_s": lambda: populate_module.populate(raw, dest),
        "zstd_d_s": lambda: run(["zstd", "-d", "-q", "--output-dir-flat", str(dest), *map(str, blobs(packed))]),
        "zst_s": lambda: populate_module.populate(packed, dest),
    }
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(RUNS):
        for name, action in sides.items():
            dest.mkdir()
            times[name].append(timed(action, dest))
    return times


def figures(times: dict[str, list[float]], size: int, packed_size: int) -> dict[str, object]:
    med = {name: statistics.median(t) for name, t in times.items()}

    def spread(num: str, den: str) -> list[float]:
        ratios = [n / d for n, d in zip(times[num], times[den], strict=True)]
        return [round(min(ratios), 3), round(max(ratios), 3)]

    out: dict[str, object] = {
        "ratio": round(med["copy_s"] / med["cp_s"], 3), "ratio_spread": spread("copy_s", "cp_s"),
        "ratio_zst": round(med["zst_s"] / med["zstd_d_s"], 3), "ratio_zst_spread": spread("zst_s", "zstd_d_s"),
        "ratio_link": round(med["link_s"] / med["cp_s"], 3),
    }
    out.update({name: round(value, 3) for name, value in med.items()})
    out.update({"bytes": size, "zst_content_bytes": packed_size, "runs": RUNS})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=520)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp dir)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="airlift-registry-bench-", dir=args.dir))
    try:
        raw = make_bundle(work / "bundle", args.size_mb)
        packed = make_bundle(work / "bundle-zst", args.size_mb, zstd=True)
        subprocess.run(["sync"], check=True)
        size = sum(p.stat().st_size for p in blobs(raw))
        packed_size = sum(e.content_size for e in packed.files("images/blobs/"))
        print(f"layouts: {size / 1e6:.0f} MB raw in {len(blobs(raw))} blobs; "
              f"{packed_size / 1e6:.0f} MB stored as .zst; load {os.getloadavg()[0]:.1f}")
        result = figures(rounds(work, raw, packed), size, packed_size)
        print(f"copy: populate {result['copy_s']}s vs cp -r {result['cp_s']}s = {result['ratio']} "
              f"(rounds {result['ratio_spread']}; goal <= 1.2)")
        print(f"decompress: populate {result['zst_s']}s vs zstd -d {result['zstd_d_s']}s = "
              f"{result['ratio_zst']} (rounds {result['ratio_zst_spread']}; goal <= 1.3)")
        print(f"hard links: populate {result['link_s']}s (median of {RUNS})")
        print(json.dumps(result))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
