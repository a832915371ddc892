"""build.py's --publish options: read and checked before the build starts (a missing token should
not wait for the images to be fetched), used once the bundle is written. `--publish https://HUB`
sends it to an Airlift Hub (airlift_build.publish), `--publish s3://BUCKET/PREFIX/` writes it to a
bucket (airlift_build.publish_s3)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from airlift_build.progress import Reporter
from airlift_build.publish import Publisher, PublishTarget, normalise_fingerprint, read_tar
from airlift_build.publish_differentials import DEFAULT_COUNT, Signer, sign_differentials
from airlift_build.publish_s3 import publish_to_s3
from hub.s3 import S3Location
from installer.errors import AirliftError

TOKEN_ENV = "AIRLIFT_HUB_TOKEN"


def add_publish_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--publish", metavar="https://HUB|s3://BUCKET/PREFIX/",
                   help="then publish the bundle to this Airlift Hub, or write it with its index and "
                        "signature to this S3 bucket and prefix")
    p.add_argument("--hub-token", metavar="TOKEN",
                   help=f"the hub's publish token (python -m hub token create --scope publish); "
                        f"default: ${TOKEN_ENV}")
    p.add_argument("--channel", help="promote the published release to this channel (stable, beta, or your own)")
    p.add_argument("--hub-fingerprint", metavar="SHA256:HEX",
                   help="the hub certificate's SHA-256 fingerprint, for a hub with a self-signed certificate")
    p.add_argument("--s3-endpoint", metavar="URL",
                   help="with --publish s3://…: an S3-compatible store, e.g. http://minio:9000 (default: AWS S3; "
                        "credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws)")
    p.add_argument("--hub-differentials", metavar="N", type=int, default=DEFAULT_COUNT,
                   help="with --sign: sign the differential bundles against the N releases before this one "
                        f"on the hub, so sites pinned to the key take them (default {DEFAULT_COUNT})")


HUB_ONLY = ("hub_token", "channel", "hub_fingerprint")


def publish_target(args: argparse.Namespace) -> PublishTarget | S3Location | None:
    """Where to publish, or None without --publish; an AirliftError for options that cannot work."""
    if not args.publish:
        extra = [_flag(n) for n in (*HUB_ONLY, "s3_endpoint") if getattr(args, n)]
        if extra:
            raise AirliftError(f"{', '.join(extra)} without --publish", hint="add --publish https://HUB, or leave them out")
        return None
    if args.since:
        raise AirliftError("--publish sends full bundles only, not one built with --since",
                           hint="publish the full bundle; the hub keeps each file once, so a new version "
                                "sends only the files the hub does not hold yet")
    if args.publish.startswith("s3://"):
        return _s3_target(args)
    if args.s3_endpoint:
        raise AirliftError("--s3-endpoint goes with --publish s3://BUCKET/PREFIX/",
                           hint="leave it out to publish to a hub")
    token = args.hub_token or os.environ.get(TOKEN_ENV, "")
    if not token:
        raise AirliftError("--publish needs the hub's publish token",
                           hint=f"pass --hub-token TOKEN or set {TOKEN_ENV} (python -m hub token create "
                                "--scope publish on the hub makes one)")
    if args.hub_fingerprint:
        normalise_fingerprint(args.hub_fingerprint)
    if args.hub_differentials < 0:
        raise AirliftError(f"--hub-differentials {args.hub_differentials}: give how many earlier releases to sign "
                           "differential bundles against", hint="0 signs none; the default is "
                                                                f"{DEFAULT_COUNT}")
    return PublishTarget(args.publish, token, args.channel, args.hub_fingerprint)


def _s3_target(args: argparse.Namespace) -> S3Location:
    extra = [_flag(n) for n in HUB_ONLY if getattr(args, n)]
    if extra:
        raise AirliftError(f"{', '.join(extra)} apply to a hub, not to --publish {args.publish}",
                           hint="leave them out; a bucket has no token or channels (its credentials come from "
                                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE)")
    return S3Location.parse(args.publish, args.s3_endpoint)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def publish_built(target: PublishTarget | S3Location, bundle: Path, quiet: bool, sign: Signer | None = None,
                  differentials: int = DEFAULT_COUNT) -> None:
    """Publish the bundle; to a hub, when it was signed, sign its differential bundles there too."""
    if isinstance(target, S3Location):
        _publish_s3(target, bundle, quiet)
        return
    publisher = Publisher(target)
    done = publisher.publish(bundle)
    signed = sign_differentials(publisher, read_tar(bundle).index_bytes, sign, differentials) if sign else []
    if quiet:
        return
    state = "published" if done.created else "was already published (same index): nothing changed"
    channels = f"; channels: {', '.join(done.channels)}" if done.channels else ""
    print(f"{done.name} {done.version} {state} at {target.url}: sent {done.sent_files} files "
          f"({done.sent_bytes / 1e6:.1f} MB), {done.held_files} already on the hub{channels}")
    if signed:
        print(f"signed its differential bundles from {', '.join(signed)}")


def _publish_s3(location: S3Location, bundle: Path, quiet: bool) -> None:
    with Reporter(quiet) as report:
        report.stage(f"publishing to {location.url()}", bundle.stat().st_size)
        done = publish_to_s3(location, bundle, report.advance)
    if quiet:
        return
    state = (f"sent {len(done.sent)} of {len(done.urls)} objects ({done.sent_bytes / 1e6:.1f} MB)" if done.sent
             else "every object was there already with the same sha256: nothing sent")
    lines = [f"{done.name} {done.version} published to {location.url()}: {state}"]
    lines += [f"  {url}\n    {http}" for url, http in zip(done.urls, done.http_urls, strict=True)]
    lines.append(f"Download the index (and signature) first, then the tarball; after tar xf, "
                 f"./install verify in {done.name}-{done.version}/ checks every file and the signature.")
    print("\n".join(lines))
