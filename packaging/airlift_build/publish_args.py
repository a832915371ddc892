"""build.py's --publish options: read and checked before the build starts (a missing token should
not wait for the images to be fetched), used once the bundle is written."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from airlift_build.publish import Publisher, PublishTarget, normalise_fingerprint, read_tar
from airlift_build.publish_differentials import DEFAULT_COUNT, Signer, sign_differentials
from installer.errors import AirliftError

TOKEN_ENV = "AIRLIFT_HUB_TOKEN"


def add_publish_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--publish", metavar="https://HUB", help="then publish the bundle to this Airlift Hub")
    p.add_argument("--hub-token", metavar="TOKEN",
                   help=f"the hub's publish token (python -m hub token create --scope publish); "
                        f"default: ${TOKEN_ENV}")
    p.add_argument("--channel", help="promote the published release to this channel (stable, beta, or your own)")
    p.add_argument("--hub-fingerprint", metavar="SHA256:HEX",
                   help="the hub certificate's SHA-256 fingerprint, for a hub with a self-signed certificate")
    p.add_argument("--hub-differentials", metavar="N", type=int, default=DEFAULT_COUNT,
                   help="with --sign: sign the differential bundles against the N releases before this one "
                        f"on the hub, so sites pinned to the key take them (default {DEFAULT_COUNT})")


def publish_target(args: argparse.Namespace) -> PublishTarget | None:
    """Where to publish, or None without --publish; an AirliftError for options that cannot work."""
    if not args.publish:
        extra = [f"--{n.replace('_', '-')}" for n in ("hub_token", "channel", "hub_fingerprint") if getattr(args, n)]
        if extra:
            raise AirliftError(f"{', '.join(extra)} without --publish", hint="add --publish https://HUB, or leave them out")
        return None
    if args.since:
        raise AirliftError("--publish sends full bundles only, not one built with --since",
                           hint="publish the full bundle; the hub keeps each file once, so a new version "
                                "sends only the files the hub does not hold yet")
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


def publish_built(target: PublishTarget, bundle: Path, quiet: bool, sign: Signer | None = None,
                  differentials: int = DEFAULT_COUNT) -> None:
    """Publish the bundle; when it was signed, sign its differential bundles on the hub too."""
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
