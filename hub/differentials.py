"""Differential bundles from the hub: a release against any earlier release of the same
application, exactly what `build.py --since <that release>` writes (installer.bundle.differential
decides what is left out, for the build and the hub alike).

The index is made once, on the first request, and kept (the `differentials` table, one row per
release and base); the bundle's bytes are streamed from the blobs like a full bundle's. The
differential index is not the one the vendor signed, and the hub holds no vendor key: a signed
release's differential bundle carries the vendor's signature only once the publisher sends one
(`build.py --sign … --publish` does, against the releases before it), which the hub takes only when
it is by the release's own key over the very index the hub made. Until then it is served
unsigned, and a site pinned to the vendor key refuses it unless its operator passes
--allow-other-signer; the full bundle is always signed.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.catalog import CatalogError, get_release, signature_key_id
from hub.models import Differential, Release, aware
from hub.tarstream import tar_size
from installer.bundle.differential import differential_index
from installer.bundle.index import Index
from installer.bundle.signature import SignatureError, parse_signature, verify_signature


def earlier_releases(db: Session, release: Release) -> list[Release]:
    """The releases of the same application published before `release`, newest first: the bases
    it has a differential bundle against."""
    found = db.scalars(select(Release).where(Release.application_id == release.application_id)
                       .order_by(Release.created_at.desc(), Release.id.desc()))
    return [r for r in found if _published_before(r, release)]


def kept(db: Session, release: Release) -> dict[int, Differential]:
    """The differentials of `release` made so far, by base release id."""
    rows = db.scalars(select(Differential).where(Differential.release_id == release.id))
    return {d.base_id: d for d in rows}


def differential_of(db: Session, name: str, version: str, base_version: str) -> Differential:
    """differential() of the release `name` `version`, which the API and the pages look up alike."""
    return differential(db, get_release(db, name, version), base_version)


def differential(db: Session, release: Release, base_version: str) -> Differential:
    """The differential of `release` against its earlier release `base_version`, made on first use."""
    base = _base(db, release, base_version)
    found = _find(db, release, base)
    if found is not None:
        return found
    index = differential_index(Index.from_json(release.index_json), Index.from_json(base.index_json),
                               base.index_json)
    data = index.to_json()
    row = Differential(release=release, base=base, index_json=data,
                       index_sha256=hashlib.sha256(data).hexdigest(), signature_json=None,
                       size=tar_size(index, data, None))
    db.add(row)
    try:
        db.commit()
    except IntegrityError:  # made by another request meanwhile
        db.rollback()
        made = _find(db, release, base)
        assert made is not None
        return made
    return row


def add_signature(db: Session, release: Release, base_version: str, signature: bytes) -> Differential:
    """Keep the vendor's signature over a differential index: by the key that signed the release,
    over the exact bytes of the index the hub made. The same signature again changes nothing."""
    name = f"{release.application.name} {release.version}"
    if release.signature_json is None:
        raise CatalogError(f"{name} is not signed: its differential bundles stay unsigned too", 409)
    row = differential(db, release, base_version)
    try:
        parsed = parse_signature(signature)
        verify_signature(row.index_json, parsed)
    except SignatureError as e:
        raise CatalogError(f"{e.message}: sign the differential index of {name} against {base_version} "
                           "as the hub makes it (GET its index.json)", 422) from None
    if parsed.key.key_id != signature_key_id(release):
        raise CatalogError(f"the signature is by key {parsed.key.key_id}, {name} by "
                           f"{signature_key_id(release)}: sign with the release's own key", 422)
    if row.signature_json is None:
        row.signature_json = signature
        row.size = tar_size(Index.from_json(row.index_json), row.index_json, signature)
        db.commit()
    return row


def _base(db: Session, release: Release, base_version: str) -> Release:
    base = get_release(db, release.application.name, base_version)
    if not _published_before(base, release):
        raise CatalogError(f"{release.application.name} {base_version} was published after {release.version}: "
                           "a differential bundle is made against an earlier release", 409)
    return base


def _published_before(base: Release, release: Release) -> bool:
    return (aware(base.created_at), base.id) < (aware(release.created_at), release.id)


def _find(db: Session, release: Release, base: Release) -> Differential | None:
    return db.scalar(select(Differential).where(Differential.release_id == release.id,
                                                Differential.base_id == base.id))
