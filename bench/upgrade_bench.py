#!/usr/bin/env python3
"""The upgrade's bytes and time: a 1.0.0 with 500 MB of images installed, upgraded to a 1.1.0 that
shares 400 MB of them and adds 100 MB of its own (random, so compression flatters nothing) and a
newer runtime (a second build of the k3s stand-in).

Built from one OCI layout: 1.0.0, 1.1.0 full, and 1.1.0 differential (`build.py --since`).
`diff_size_ratio` (goal <= 1.02): the differential bundle's size against what it must carry, the
new unique image bytes (the 1.1.0 blobs 1.0.0 lacks) plus the changed runtime files plus the
installer (install and bin/).

Then 1.0.0 is installed on this host as the integration tests install (temp root and state dir,
the k3s stand-in; bench/upgrade_site.py), a worker node joins it from a network namespace, and
`install upgrade --yes` runs from the unpacked full 1.1.0 bundle (the installer from the sources
with AIRLIFT_BUNDLE_DIR, as the tests run `./install`):
- `registry_bytes_ratio` (goal <= 1.05): bytes of the files the upgrade added under the registry's
  storage folder (each inode once, files already there not counted) against the new unique image
  bytes. Those files are often hard links to the unpacked bundle (nothing copied when both sit on
  one filesystem): `registry_linked_bytes` says how many. The upgrade process's /proc/PID/io (read
  while it is a zombie, so with every child it reaped; services it started run detached and are
  not in it) is printed for context only, never taken as registry bytes: `upgrade_write_bytes`
  also holds the runtime laid out, plan records and logs, and `upgrade_cancelled_write_bytes`
  the temp files deleted before reaching the disk (the frozen k3s stand-in unpacks itself on every
  `k3s kubectl`); `upgrade_net_write_bytes` is the first less the second.
  `upgrade_added_bytes_by_folder` says where files appeared in the site's folders.
- `lan_bytes_ratio` (goal <= 1.05): bytes the worker's interface received during the upgrade
  (kernel counters of its veth inside the namespace, so TLS, TCP, the agent channel and k3s's
  heartbeats count) against what that node really lacks: the stored bytes of the 1.1.0 files
  under the prefixes the code sends every node (installer.transfer.bundle_share.NODE_PREFIXES,
  shown as `node_prefixes`) whose content 1.0.0's files there did not have. Both bundles carry
  the same frozen installer, so bin/, once among those prefixes, adds only what changed in it.
- `upgrade_s`: wall time of the upgrade; `install_s` of the 1.0.0 install, for context;
  `copy_s`: a plain `cp` of the new unique blobs beside the state folder, the floor;
  `upgrade_vs_copy` = upgrade_s / copy_s.

Run as root on a host with the integration tests' set-up (make test's packages and .venv):
    .venv/bin/python bench/upgrade_bench.py [--single-host]
`--single-host` skips the worker and the LAN figure. A readable table, then one JSON line last.
Everything it starts (services, registry, namespaces) is removed on exit, Ctrl-C and SIGTERM too
(installer.stopping's handlers, so even when started as a background job).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "packaging"), str(REPO), str(Path(__file__).resolve().parent)]

from build_bench import json_blob, write_blob  # noqa: E402 - after the path set-up above
from upgrade_figures import (  # noqa: E402
    added_by_folder,
    added_bytes,
    new_blobs,
    node_needs,
    phase_seconds,
    ratio,
    snapshot,
)
from upgrade_site import site, upgrade  # noqa: E402

from installer.bundle import safe_extract  # noqa: E402
from installer.statedir import StateDir  # noqa: E402
from installer.stopping import handle_stop_signals  # noqa: E402
from installer.transfer.bundle_share import NODE_PREFIXES  # noqa: E402
from tests.fixtures.lab import frozen_standin  # noqa: E402
from tests.fixtures.standin_version import DEFAULT_VERSION  # noqa: E402

NEXT_K3S = "v1.31.2+k3s1"

MB = 1 << 20
SHARED_MB, OWN_MB, LAYER_MB = 400, 100, 50
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
# A master and a worker profile, so a second node can join the one-node install.
APP = """apiVersion: bundle.gravitational.io/v2
kind: Bundle
metadata:
  name: bench
  resourceVersion: {version}
installer:
  flavors:
    default: one
    items:
      - name: one
        nodes:
          - profile: master
            count: 1
nodeProfiles:
  - name: master
    serviceRole: master
    requirements:
      cpu:
        min: 1
  - name: worker
    serviceRole: node
    requirements:
      cpu:
        min: 1
"""


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
    (root / "app.yaml").write_text(APP.format(version=version))
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


def build_all(work: Path) -> float:
    """The three bundles; the seconds the differential one took to build."""
    make_layout(work / "oci")
    k3s_old, k3s_new = frozen_standin(REPO, DEFAULT_VERSION), frozen_standin(REPO, NEXT_K3S)
    build(make_app(work / "app-1.0", "1.0.0"), work / "v1.0.tar", k3s_old, work / "oci")
    app = make_app(work / "app-1.1", "1.1.0")
    build(app, work / "v1.1-full.tar", k3s_new, work / "oci")
    return build(app, work / "v1.1-diff.tar", k3s_new, work / "oci", "--since", str(work / "v1.0.tar"))


def bundle_figures(work: Path, old: list[dict], new: list[dict], diff_s: float) -> dict:
    blobs = work / "oci" / "blobs" / "sha256"
    new_unique = sum((blobs / hex_).stat().st_size for hex_ in new_blobs(old, new))
    runtime = node_needs(old, new, ["runtime/"])
    installer = sum(f["size"] for f in new if f["path"] == "install" or f["path"].startswith("bin/"))
    diff = (work / "v1.1-diff.tar").stat().st_size
    return {"diff_size_ratio": ratio(diff, new_unique + runtime + installer), "diff_bundle_bytes": diff,
            "new_unique_bytes": new_unique, "new_runtime_bytes": runtime, "installer_bytes": installer,
            "full_bundle_bytes": (work / "v1.1-full.tar").stat().st_size, "diff_build_s": round(diff_s, 2)}


def copy_floor(work: Path, hexes: list[str]) -> float:
    """Seconds a plain `cp` of the new unique blobs takes, on the filesystem of the state folder."""
    dest = work / "copy-floor"
    dest.mkdir()
    start = time.monotonic()
    subprocess.run(["cp", *(str(work / "oci" / "blobs" / "sha256" / h) for h in hexes), str(dest)], check=True)
    seconds = time.monotonic() - start
    shutil.rmtree(dest)
    return seconds


def site_figures(work: Path, old: list[dict], new: list[dict], new_unique: int, with_worker: bool) -> dict:
    """Install 1.0.0 (and join a worker), upgrade to the full 1.1.0, and measure the upgrade."""
    for name in ("v1.0", "v1.1-full"):
        safe_extract(work / f"{name}.tar", work / name)
    lan_in = lan_out = None
    with site(work / "v1.0" / "bench-1.0.0", work / "site", workers=1 if with_worker else 0) as s:
        storage = StateDir(s.master.state).registry / "storage"
        before, site_before = snapshot(storage), snapshot(work / "site")
        counters = s.worker.interface_bytes() if s.worker else None
        done = upgrade(s.master, work / "v1.1-full" / "bench-1.1.0", work / "upgrade.log")
        if s.worker and counters:
            rx, tx = s.worker.interface_bytes()
            lan_in, lan_out = rx - counters[0], tx - counters[1]
        added, linked = added_bytes(before, snapshot(storage))
        where = added_by_folder(site_before, snapshot(work / "site"), depth=3)
        phases = upgrade_phases(s.master.state)
    copy_s = copy_floor(work, new_blobs(old, new))
    needs = node_needs(old, new, NODE_PREFIXES)
    return {"registry_bytes_ratio": ratio(added, new_unique), "registry_bytes": added,
            "registry_linked_bytes": linked, "upgrade_write_bytes": done.io.get("write_bytes"),
            "upgrade_cancelled_write_bytes": done.io.get("cancelled_write_bytes"),
            "upgrade_net_write_bytes": done.io.get("write_bytes", 0) - done.io.get("cancelled_write_bytes", 0),
            "upgrade_added_bytes_by_folder": dict(list(where.items())[:8]),
            "lan_bytes_ratio": ratio(lan_in, needs) if lan_in is not None else None, "lan_rx_bytes": lan_in,
            "lan_tx_bytes": lan_out, "node_needs_bytes": needs, "node_prefixes": ",".join(NODE_PREFIXES),
            "upgrade_s": round(done.seconds, 2), "install_s": round(s.install_s, 2), "copy_s": round(copy_s, 2),
            "upgrade_vs_copy": ratio(done.seconds, copy_s), "upgrade_phase_s": phases}


def upgrade_phases(state: Path) -> dict[str, float]:
    """Seconds each phase of the (one) upgrade operation took, from its event log."""
    logs = sorted((state / "operations").glob("upgrade-*/events.jsonl"))
    return phase_seconds(json.loads(line) for log in logs for line in log.read_text().splitlines() if line)


def print_table(result: dict) -> None:
    for key, value in result.items():
        if isinstance(value, dict):
            print(key)
            for name, figure in value.items():
                print(f"    {name:36} {figure}")
        else:
            print(f"{key:30} {value}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--single-host", action="store_true", help="no worker node, no LAN figure")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("bench/upgrade_bench.py installs services and network namespaces: run it as root")
    handle_stop_signals()  # Ctrl-C and SIGTERM unwind, removing the site, even from a background job
    try:
        result = run(not args.single_host)
    except KeyboardInterrupt as stop:
        print(f"Stopped ({str(stop) or 'Ctrl-C'}); the site is uninstalled and the namespaces removed "
              "(a warning above names anything left).", file=sys.stderr)
        return 130
    print_table(result)
    print(json.dumps(result))
    return 0


def run(with_worker: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="airlift-upgrade-bench-") as tmp:
        work = Path(tmp)
        diff_s = build_all(work)
        old = index(work / "v1.0.tar", "bench-1.0.0")["files"]
        new = index(work / "v1.1-full.tar", "bench-1.1.0")["files"]
        result = bundle_figures(work, old, new, diff_s)
        result.update(site_figures(work, old, new, result["new_unique_bytes"], with_worker))
    return result


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
