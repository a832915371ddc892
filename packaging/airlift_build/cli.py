"""`python build.py app.yaml -o app.tar`: the vendor's command, from manifest to bundle."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from airlift_build.app_files import manifest_file, readme_file, resource_files
from airlift_build.blobstore import BlobStore
from airlift_build.bundle_writer import BundleMeta, write_bundle
from airlift_build.discover import discover_images
from airlift_build.files import BundleFile
from airlift_build.installer_payload import installer_files
from airlift_build.ocilayout import layout_files
from airlift_build.output import AtomicOutput
from airlift_build.progress import Reporter, Summary
from airlift_build.runtime_files import runtime_files
from airlift_build.sources import SPEC_HELP, fetch_all, make_sources
from installer import __version__
from installer.errors import AirliftError
from installer.manifest import Manifest, load_manifest
from installer.stopping import handle_stop_signals

REPO = Path(__file__).resolve().parents[2]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="build.py", description="Build an Airlift bundle from a Gravity-style manifest.")
    p.add_argument("manifest", type=Path, help="the application's app.yaml")
    p.add_argument("-o", "--output", type=Path, help="bundle file to write (default: <name>-<version>.tar)")
    p.add_argument("--k3s", type=Path, help="the k3s binary to carry")
    p.add_argument("--k3s-images", type=Path, help="k3s air-gap images tarball (optional)")
    p.add_argument("--registry-bin", type=Path, help="registry binary (default: docker-registry on PATH)")
    p.add_argument("--source", action="append", default=[], metavar="SPEC",
                   help=f"where images come from, tried in the order given: {SPEC_HELP} "
                        "(default: docker, then registry)")
    p.add_argument("--list-images", action="store_true", help="print the images the application uses and exit")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress, only errors")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    handle_stop_signals()  # SIGINT and SIGTERM: unwinding removes the temporary bundle, even in the background
    try:
        return _run(args)
    except AirliftError as e:
        print(f"error: {e.render()}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted: no bundle was written", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    manifest = load_manifest(args.manifest)
    discovery = discover_images(manifest)
    for warning in manifest.warnings + discovery.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.list_images:
        for ref in sorted(discovery.images):
            print(f"{ref}\t{'; '.join(discovery.images[ref])}")
        return 0
    runtime = runtime_files(args.k3s, args.k3s_images, args.registry_bin)
    sources = make_sources(args.source, Path.cwd())
    output = args.output or Path(f"{manifest.name}-{manifest.version}.tar")
    with AtomicOutput(output) as out, tempfile.TemporaryDirectory(prefix="airlift-build-") as work, \
            Reporter(args.quiet) as report:
        store = BlobStore(Path(work) / "blobs")
        report.stage(f"fetching {len(discovery.images)} images", None)
        records = fetch_all(discovery.images, sources, store, report.image, report.advance)
        images, dedup = layout_files(records, store)
        report.stage("preparing the installer", None)
        payload = installer_files(REPO, Path(work) / "payload")
        files = _app_files(manifest, args.manifest) + runtime + images + payload
        report.stage("writing bundle", sum(f.size for f in files))
        meta = BundleMeta(manifest.name, manifest.version, __version__)
        write_bundle(out.file, meta, files, lambda f: report.advance(f.size))
        out.commit()
    report.summary(Summary(images=len(records), unique_layers=dedup.unique_layers,
                           dedup_saved=dedup.saved_bytes, bundle_size=output.stat().st_size,
                           installer_size=sum(f.size for f in payload),
                           seconds=time.monotonic() - started, output=str(output),
                           folder=f"{manifest.name}-{manifest.version}"))
    return 0


def _app_files(manifest: Manifest, manifest_path: Path) -> list[BundleFile]:
    return [manifest_file(manifest), readme_file(manifest), *resource_files(manifest, manifest_path)]
