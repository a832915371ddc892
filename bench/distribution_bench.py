"""Time distributing a bundle's blobs to 1, 2, 4 and 8 nodes over a capped LAN.

Every node (and the installer) is a network namespace whose link is capped with tc tbf in both
directions (200 Mbit/s by default). The installer holds a ~300 MB set of blobs shaped like a
bundle (runtime binary, air-gap images, image layers big and small) and hosts the tracker; the
nodes fetch every blob with the production Peer, over HTTPS with each node's certificate pinned
as in an install. A star from the installer would take N times
the one-node time; the relay chain should stay close to 1x. Last line: one JSON object.

Run as root: .venv/bin/python bench/distribution_bench.py [--mbit 200] [--mb 300] [--nodes 1,2,4,8]
             [--bundle DIR]   (an unpacked bundle's runtime/ and images/ instead of generated blobs)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from installer.bundle import Bundle  # noqa: E402
from installer.transfer.bundle_share import seed_store, shared_files, wanted  # noqa: E402
from installer.transfer.store import BlobStore  # noqa: E402
from tests.fixtures.netns_lab import NetnsLab, PeerProcess  # noqa: E402

MB = 1 << 20


def blob_sizes(total_mb: int) -> list[int]:
    """Sizes shaped like a bundle: a 20% runtime binary, 25% air-gap images, the rest image
    layers from 50 KB to 40 MB."""
    total = total_mb * MB
    sizes = [total // 5, total // 4]
    rng = random.Random(7)
    left = total - sum(sizes)
    while left > 0:
        size = min(left, rng.choice([50_000, 400_000, 2 * MB, 8 * MB, 20 * MB, 40 * MB]))
        sizes.append(size)
        left -= size
    return sizes


def make_blobs(store: Path, total_mb: int) -> list[tuple[str, int]]:
    """Write random blobs into the installer's store; return (digest, size) in fetch order."""
    (store / "sha256").mkdir(parents=True)
    blobs = []
    rng = random.Random(11)
    for size in blob_sizes(total_mb):
        data = rng.randbytes(size)
        digest = hashlib.sha256(data).hexdigest()
        (store / "sha256" / digest).write_bytes(data)
        blobs.append((f"sha256:{digest}", size))
    return blobs


def bundle_blobs(store: Path, bundle_dir: Path) -> list[tuple[str, int]]:
    """Put a built bundle's runtime and images into the installer's store the way the installer
    does (hard links), and return what a registry node fetches."""
    bundle = Bundle.open(bundle_dir)
    files = shared_files(bundle, ["runtime/", "images/"])
    seed_store(BlobStore(store), bundle, files)
    return [(f"sha256:{d}", size) for d, size in wanted(files)]


def one_round(lab: NetnsLab, work: Path, nodes: int, want: Path, token_file: Path) -> dict:
    """Distribute to `nodes` nodes: seconds from "go" until the last node verified all, how many
    blob transfers the installer itself served (of how many), and the CPU seconds the peers used."""
    cpu_before = _children_cpu()
    origin = PeerProcess(lab, 0, work / "origin", token_file)
    peers: list[PeerProcess] = []
    try:
        peers = [PeerProcess(lab, i, work / f"round{nodes}" / f"node-{i}", token_file, origin, want)
                 for i in range(1, nodes + 1)]
        started = time.monotonic()
        for p in peers:
            p.go()
        events = [p.event(timeout=600) for p in peers]
        elapsed = time.monotonic() - started
        for event in events:
            if event["event"] != "done":
                raise RuntimeError(f"node {event['node']} failed: {event.get('error')}")
        sources = [url for e in events for url in e["delivered_by"].values()]
    finally:
        for p in [*peers, origin]:
            p.close()
        shutil.rmtree(work / f"round{nodes}", ignore_errors=True)
    return {"seconds": elapsed, "from_origin": sources.count(origin.url), "transfers": len(sources),
            "cpu_s": _children_cpu() - cpu_before}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mbit", type=int, default=200)
    ap.add_argument("--mb", type=int, default=300)
    ap.add_argument("--nodes", default="1,2,4,8")
    ap.add_argument("--bundle", type=Path, help="an unpacked bundle to distribute instead of generated blobs")
    args = ap.parse_args()
    counts = [int(n) for n in args.nodes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="airlift-bench-"))
    try:
        blobs = bundle_blobs(work / "origin", args.bundle) if args.bundle else make_blobs(work / "origin", args.mb)
        total_mb = sum(size for _, size in blobs) / MB
        want = work / "want.json"
        want.write_text(json.dumps(blobs))
        token_file = work / "token"
        token_file.write_text("bench-" + hashlib.sha256(str(time.time()).encode()).hexdigest()[:24])
        print(f"{len(blobs)} blobs, {total_mb:.0f} MB, every link capped at {args.mbit} Mbit/s each way", flush=True)
        times: dict[int, float] = {}
        with NetnsLab(max(counts) + 1, rate_mbit=args.mbit) as lab:
            for n in counts:
                r = one_round(lab, work, n, want, token_file)
                times[n] = r["seconds"]
                ratio = times[n] / times[counts[0]]
                print(f"{n} node(s): {times[n]:.1f} s  ({ratio:.2f}x the {counts[0]}-node time; "
                      f"the installer served {r['from_origin']} of {r['transfers']} blob transfers; "
                      f"peers used {r['cpu_s']:.1f} CPU-s)", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {f"t{n}_s": round(t, 2) for n, t in times.items()}
    result[f"ratio_{counts[-1]}"] = round(times[counts[-1]] / times[counts[0]], 3)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
