"""Releases and channels: what publishing, promoting and editing do to the catalog, apart from
HTTP. A release is the bundle's index.json (and signature.json, when the bundle was signed) kept
byte for byte; its files are blobs the hub already holds and checked."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.models import Application, Blob, Channel, Promotion, Release
from installer.bundle.index import Index
from installer.bundle.signature import SignatureError, parse_signature, verify_signature

CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


class CatalogError(Exception):
    """A request the catalog refuses; `status` is the HTTP status that says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_index(data: bytes) -> Index:
    try:
        index = Index.from_json(data)
    except (ValueError, KeyError, TypeError) as e:
        raise CatalogError(f"index.json cannot be read ({e})") from None
    if index.base is not None:
        raise CatalogError(f"{index.name} {index.version} is a differential bundle (built with --since): "
                           "publish the full bundle; the hub keeps every file once anyway")
    return index


def missing_blobs(db: Session, digests: list[str]) -> list[str]:
    """The digests among `digests` the hub holds no blob of, in the order given."""
    wanted = list(dict.fromkeys(digests))
    held = set(db.scalars(select(Blob.sha256).where(Blob.sha256.in_(wanted)))) if wanted else set()
    return [d for d in wanted if d not in held]


@dataclass(frozen=True)
class Published:
    release: Release
    created: bool


def publish(db: Session, index_bytes: bytes, signature: bytes | None) -> Published:
    """Record a release. The same index (and signature) again is a no-op; another index under a
    version already published is refused: releases never change."""
    index = parse_index(index_bytes)
    if signature is not None:
        _check_signature(index_bytes, signature)
    digest = hashlib.sha256(index_bytes).hexdigest()
    existing = find_release(db, index.name, index.version)
    if existing is not None:
        if existing.index_sha256 != digest or existing.signature_json != signature:
            raise CatalogError(f"{index.name} {index.version} is already published with another "
                               f"{'index' if existing.index_sha256 != digest else 'signature'}: releases "
                               "never change; build it under a new version", 409)
        return Published(existing, False)
    _check_blobs(db, index)
    app = db.scalar(select(Application).where(Application.name == index.name))
    if app is None:
        app = Application(name=index.name)
        db.add(app)
    release = Release(application=app, version=index.version, index_json=index_bytes, index_sha256=digest,
                      signature_json=signature, size=sum(e.size for e in index.files), notes="",
                      required=False)
    db.add(release)
    try:
        db.commit()
    except IntegrityError:  # another process published the same version meanwhile
        db.rollback()
        return publish(db, index_bytes, signature)
    return Published(release, True)


def _check_blobs(db: Session, index: Index) -> None:
    rows = db.execute(select(Blob.sha256, Blob.size).where(Blob.sha256.in_({e.sha256 for e in index.files})))
    sizes = {sha256: size for sha256, size in rows}
    missing = [e.path for e in index.files if e.sha256 not in sizes]
    wrong = [e.path for e in index.files if e.sha256 in sizes and sizes[e.sha256] != e.size]
    if missing:
        raise CatalogError(f"the hub lacks {len(missing)} files of {index.name} {index.version} "
                           f"(first: {missing[0]}): upload them before the release", 409)
    if wrong:
        raise CatalogError(f"{wrong[0]}: the index gives another size than the blob of that sha256 has")


def find_release(db: Session, name: str, version: str) -> Release | None:
    return db.scalar(select(Release).join(Application)
                     .where(Application.name == name, Release.version == version))


def get_release(db: Session, name: str, version: str) -> Release:
    release = find_release(db, name, version)
    if release is None:
        raise CatalogError(f"no release {name} {version} on this hub", 404)
    return release


def promote(db: Session, release: Release, channel_name: str, by: str) -> Promotion:
    """Put `release` on a channel (made if new); promoting it there again changes nothing."""
    if not CHANNEL_NAME.match(channel_name):
        raise CatalogError(f"channel name {channel_name!r}: use lower-case letters, digits, '.', '_' or '-'")
    channel = db.scalar(select(Channel).where(Channel.name == channel_name))
    if channel is None:
        channel = Channel(name=channel_name)
        db.add(channel)
        db.flush()
    promotion = db.scalar(select(Promotion).where(Promotion.channel_id == channel.id,
                                                  Promotion.release_id == release.id))
    if promotion is None:
        promotion = Promotion(channel=channel, release=release, promoted_by=by)
        db.add(promotion)
    try:
        db.commit()
    except IntegrityError:  # the same promotion made by another request meanwhile
        db.rollback()
        return promote(db, release, channel_name, by)
    return promotion


def edit(db: Session, release: Release, notes: str | None, required: bool | None) -> Release:
    """Notes and the required flag are all that may change on a release."""
    if notes is not None:
        release.notes = notes
    if required is not None:
        release.required = required
    db.commit()
    return release


def signature_key_id(release: Release) -> str | None:
    """The signing key's id, if the release is signed (its signature was checked on upload)."""
    if not release.signature_json:
        return None
    return parse_signature(release.signature_json).key.key_id


def _check_signature(index_bytes: bytes, signature: bytes) -> None:
    """The vendor's signature must match the index it came with: a hub never serves a bundle
    that sites would refuse."""
    try:
        verify_signature(index_bytes, parse_signature(signature))
    except SignatureError as exc:
        raise CatalogError(f"{exc.message}: the hub keeps only releases whose signature matches", 422) from None
