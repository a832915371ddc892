"""Install links: `https://HUB/install/<token>`, one command on the target host that downloads a
release, verifies, unpacks and installs it, then enrolls the site with this hub.

The link's secret is an enroll token (hub.tokens): the hub keeps only its hash, so the link is
shown once, when it is made. Fetching the script or the bundle does not use the token up; the
site's enrollment at the end of the install does. A link is refused (404 not made here, 410
expired or used up) with a message the script prints."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import shlex
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.blobstore import BlobStore
from hub.catalog import CHANNEL_NAME, CatalogError
from hub.models import ApiToken, Application, Channel, InstallLink, Promotion, Release, aware, utcnow
from hub.tarstream import stream_tar
from hub.tokens import create_token, token_hash
from installer.bundle.index import Index

MODES = ("cli", "wizard")
MAX_ARGS = 40


class LinkRefused(Exception):
    """A link that installs nothing: `status` 404 (not one of this hub's) or 410 (no more)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class LinkRequest:
    """What a vendor asks for on a release or channel page."""

    uses: int | None  # None: any number of sites until it expires
    expires_in: datetime.timedelta
    channel: str
    mode: str
    install_args: list[str]


@dataclass(frozen=True)
class MadeLink:
    link: InstallLink
    token: str  # the link's secret, shown once


def parse_args(text: str) -> list[str]:
    """The `./install` arguments a link carries, as a vendor types them (shell words)."""
    try:
        words = shlex.split(text)
    except ValueError as e:
        raise CatalogError(f"the install arguments cannot be read as shell words ({e})") from None
    if len(words) > MAX_ARGS or any("\n" in w or "\0" in w for w in words):
        raise CatalogError(f"give at most {MAX_ARGS} install arguments, each on one line")
    return words


def make_link(db: Session, app: Application, release: Release | None, asked: LinkRequest, by: str) -> MadeLink:
    """A link for `release`, or (None) for the newest release of `app` on `asked.channel`."""
    if asked.mode not in MODES:
        raise CatalogError(f"install mode {asked.mode!r}: choose cli or wizard")
    if not CHANNEL_NAME.match(asked.channel):
        raise CatalogError(f"channel name {asked.channel!r}: use lower-case letters, digits, '.', '_' or '-'")
    if asked.uses is not None and asked.uses < 1:
        raise CatalogError("a link admits at least one site")
    if release is None and newest_on_channel(db, app, asked.channel) is None:
        raise CatalogError(f"no release of {app.name} is on the channel {asked.channel} yet", 404)
    made = create_token(db, "enroll", asked.expires_in, asked.uses, asked.channel)
    link = InstallLink(token_id=made.token.split("_")[1], application=app, release=release, channel=asked.channel,
                       mode=asked.mode, install_args=json.dumps(asked.install_args), created_by=by)
    db.add(link)
    db.commit()
    return MadeLink(link, made.token)


def newest_on_channel(db: Session, app: Application, channel: str) -> Release | None:
    return db.scalar(select(Release).join(Promotion).join(Channel)
                     .where(Channel.name == channel, Release.application_id == app.id)
                     .order_by(Promotion.promoted_at.desc(), Promotion.id.desc()).limit(1))


def open_link(db: Session, token: str) -> tuple[InstallLink, Release]:
    """The live link `token` names and the release it installs now; LinkRefused otherwise."""
    prefix, _, rest = token.partition("_")
    token_id, _, secret = rest.partition("_")
    row = db.get(ApiToken, token_id) if prefix == "hub" and token_id and secret else None
    link = db.get(InstallLink, token_id) if row is not None else None
    if row is None or link is None or not hmac.compare_digest(token_hash(secret), row.secret_hash):
        raise LinkRefused("This install link is not one this hub made (mistyped or cut short). "
                          "Ask the vendor for the link again.", 404)
    if row.expires_at is not None and aware(row.expires_at) <= utcnow():
        raise LinkRefused(f"This install link expired on {aware(row.expires_at):%Y-%m-%d %H:%M} UTC. "
                          "Ask the vendor for a new one.", 410)
    if row.uses_left is not None and row.uses_left <= 0:
        raise LinkRefused("This install link was used already: it installed as many sites as it admits. "
                          "Ask the vendor for a new one.", 410)
    release = link.release or newest_on_channel(db, link.application, link.channel)
    if release is None:
        raise LinkRefused(f"No release of {link.application.name} is on the channel {link.channel} any more. "
                          "Ask the vendor.", 410)
    return link, release


def installs(db: Session, link: InstallLink, version: str) -> Release | None:
    """The release of `version` when the link may download it: its own, or (a channel link) any on its channel."""
    if link.release is not None:
        return link.release if link.release.version == version else None
    return db.scalar(select(Release).join(Promotion).join(Channel)
                     .where(Release.application_id == link.application_id, Release.version == version,
                            Channel.name == link.channel))


def bundle_sha256(db: Session, release: Release, store: BlobStore) -> str:
    """The full bundle tarball's sha256, which the script checks: hashed from the blobs once, then kept."""
    if release.bundle_sha256 is None:
        digest = hashlib.sha256()
        for chunk in stream_tar(Index.from_json(release.index_json), release.index_json, release.signature_json,
                                store.read):
            digest.update(chunk)
        release.bundle_sha256 = digest.hexdigest()
        db.commit()
    return release.bundle_sha256


def link_args(link: InstallLink) -> list[str]:
    args: list[str] = json.loads(link.install_args)
    return args
