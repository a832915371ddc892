"""`python build.py app.yaml -o app.tar`: the vendor's command, from manifest to bundle."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from airlift_build.app_files import manifest_file, readme_file, resource_files
from airlift_build.blobstore import BlobStore
from airlift_build.bundle_writer import BundleMeta, write_bundle
from airlift_build.differential import Base, Split, check_base, load_base, split
from airlift_build.discover import discover_images
from airlift_build.files import BundleFile
from airlift_build.installer_payload import installer_files
from airlift_build.keygen import main as keygen_main
from airlift_build.ocilayout import layout_files
from airlift_build.output import AtomicOutput
from airlift_build.progress import Reporter, Summary
from airlift_build.publish_args import add_publish_arguments, publish_built, publish_target
from airlift_build.registry_login import add_login_arguments, registry_credentials
from airlift_build.runtime_files import MONITORING, CarriedBinary, RuntimeRequest, runtime_files
from airlift_build.sources import SPEC_HELP, fetch_all, make_sources
from installer import __version__
from installer.bundle.licence_key import LICENCE_KEY_NAME, licence_key_file
from installer.bundle.signature import VendorKey, load_private_key, load_public_key, public_key_of, sign_index
from installer.errors import AirliftError
from installer.manifest import Manifest, load_manifest
from installer.stopping import handle_stop_signals

REPO = Path(__file__).resolve().parents[2]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="build.py", description="Build an Airlift bundle from a Gravity-style manifest.")
    p.add_argument("manifest", type=Path, help="the application's app.yaml")
    p.add_argument("-o", "--output", type=Path, help="bundle file to write (default: <name>-<version>.tar)")
    p.add_argument("--name", help="the application name, replacing the manifest's metadata.name")
    p.add_argument("--version", help="the version, replacing the manifest's metadata.resourceVersion "
                                     "(for templated manifests, as with tele build)")
    p.add_argument("--k3s", type=Path, help="the k3s binary to carry (v1.26.13/1.27.10/1.28.6/1.29.1 or later)")
    images = p.add_mutually_exclusive_group()
    images.add_argument("--k3s-images", type=Path, metavar="ARCHIVE",
                        help="k3s-airgap-images-amd64.tar[.zst|.gz] of the same k3s release (required)")
    images.add_argument("--no-k3s-images", action="store_true",
                        help="build without k3s's air-gap images, on purpose (a k3s stand-in that needs none)")
    p.add_argument("--registry-bin", type=Path, help="registry binary (default: docker-registry on PATH)")
    for binary in MONITORING:
        p.add_argument(binary.option, type=Path, metavar="PATH", dest=_dest(binary),
                       help=f"{binary.what} (default: {binary.command} on PATH, from Debian's {binary.package})")
    p.add_argument("--source", action="append", default=[], metavar="SPEC",
                   help=f"where images come from, tried in the order given: {SPEC_HELP} "
                        "(default: docker, then registry)")
    p.add_argument("--since", type=Path, metavar="OLD",
                   help="build a differential bundle against OLD, the previous version's bundle (tarball, "
                        "unpacked folder or its index.json): leave out the image blobs and runtime files "
                        "OLD already has")
    p.add_argument("--sign", type=Path, metavar="KEY",
                   help="sign the bundle's index with the vendor's Ed25519 private key KEY (made by "
                        "`python build.py keygen`): the bundle then carries signature.json")
    p.add_argument("--licence-key", type=Path, metavar="PUB",
                   help="the public half of the vendor's licence key (a .pub file): the bundle carries it and "
                        "then installs only with a licence it signed (./install --licence FILE)")
    add_login_arguments(p)
    add_publish_arguments(p)
    p.add_argument("--list-images", action="store_true", help="print the images the application uses and exit")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress, only errors")
    return p.parse_args(argv)


def _dest(binary: CarriedBinary) -> str:
    return binary.option.lstrip("-").replace("-", "_")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["keygen"]:
        return keygen_main(argv[1:])
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
    target = publish_target(args)
    overrides = {key: value for key, value in (("name", args.name), ("resourceVersion", args.version)) if value}
    manifest = load_manifest(args.manifest, overrides)
    discovery = discover_images(manifest)
    for warning in manifest.warnings + discovery.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.list_images:
        for ref in sorted(discovery.images):
            print(f"{ref}\t{'; '.join(discovery.images[ref])}")
        return 0
    key = load_private_key(args.sign) if args.sign else None  # before any image is fetched
    licence = load_public_key(args.licence_key, "--licence-key") if args.licence_key else None
    base = load_base(args.since) if args.since else None
    if base:
        check_base(base, manifest.name, manifest.version)
    given = {b.bundle_path: path for b in MONITORING if (path := getattr(args, _dest(b)))}
    runtime = runtime_files(RuntimeRequest(args.k3s, args.k3s_images, args.no_k3s_images, args.registry_bin, given))
    sources = make_sources(args.source, Path.cwd(), registry_credentials(args))
    suffix = "-diff" if base else ""
    output = args.output or Path(f"{manifest.name}-{manifest.version}{suffix}.tar")
    with AtomicOutput(output) as out, tempfile.TemporaryDirectory(prefix="airlift-build-") as work, \
            Reporter(args.quiet) as report:
        store = BlobStore(Path(work) / "blobs")
        report.stage(f"fetching {len(discovery.images)} images", None)
        records = fetch_all(discovery.images, sources, store, report.image, report.advance)
        images, dedup = layout_files(records, store)
        report.stage("preparing the installer", None)
        payload = installer_files(REPO, Path(work) / "payload")
        files = _app_files(manifest, args.manifest, licence) + runtime.files + images + payload
        parts = _split(files, base)
        report.stage("writing bundle", sum(f.size for f in parts.carried))
        meta = BundleMeta(manifest.name, manifest.version, __version__, runtime.k3s_version,
                          base.ref if base else None)
        write_bundle(out.file, meta, parts.carried, lambda f: report.advance(f.size), parts.from_base,
                     _signer(key) if key else None)
        out.commit()
    report.summary(Summary(images=len(records), unique_layers=dedup.unique_layers,
                           dedup_saved=dedup.saved_bytes, bundle_size=output.stat().st_size,
                           installer_size=sum(f.size for f in payload),
                           seconds=time.monotonic() - started, output=str(output),
                           folder=f"{manifest.name}-{manifest.version}",
                           base=f"{base.ref.name} {base.ref.version}" if base else None,
                           from_base=len(parts.from_base), base_saved=parts.saved_bytes,
                           signed_by=public_key_of(key).key_id if key else None,
                           licence_key=licence.key_id if licence else None))
    if target is not None:
        publish_built(target, output, args.quiet, _signer(key) if key else None, args.hub_differentials)
    return 0


def _signer(key: Ed25519PrivateKey) -> Callable[[bytes], bytes]:
    """index.json's bytes -> signature.json's bytes."""
    return lambda index_bytes: sign_index(index_bytes, key).to_json()


def _split(files: list[BundleFile], base: Base | None) -> Split:
    """Everything is carried, unless the bundle is differential."""
    return split(files, base) if base else Split(files, [])


def _app_files(manifest: Manifest, manifest_path: Path, licence: VendorKey | None) -> list[BundleFile]:
    """The application's files, and the licence key when a licence is required."""
    own = [manifest_file(manifest), readme_file(manifest), *resource_files(manifest, manifest_path)]
    return own + ([BundleFile(LICENCE_KEY_NAME, data=licence_key_file(licence))] if licence else [])
