"""The JSON API under /api/v1, for publishers holding a `publish` token.

Publishing is content-addressed and resumable: the publisher asks which of its bundle's blobs
the hub lacks (POST /blobs/missing), sends each with Content-Range (PUT /blobs/<sha256>; after a
cut, GET /blobs/<sha256>/upload says where to go on), and then commits the release
(POST /releases), which the hub takes only when it holds every file of the index.

A release downloads as its full bundle or as a differential bundle against any earlier release
(hub.differentials); a signed release's publisher sends the vendor's signature over each
differential index (PUT …/differentials/<base>/signature).
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import ClientDisconnected

from hub import blob_batch, catalog, differentials
from hub.blobstore import SHA256, DigestMismatch, OffsetMismatch, UploadBusy
from hub.context import db, hub
from hub.downloads import bundle_response, differential_response
from hub.models import Application, Blob, Channel, Differential, Release
from hub.s3 import StorageError
from hub.tokens import check_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")
RANGE = re.compile(r"^bytes (?:(\d+)-(\d+)|\*)/(\d+)$")
PUBLISHER = "publish token"


def _error(message: str, status: int, **extra: Any) -> tuple[Response, int]:
    return jsonify(error=message, **extra), status


def publisher(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only a request with a live `publish` bearer token gets through."""
    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        token = (request.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if not check_token(db(), token, "publish"):
            return _error("a valid publish token is required (python -m hub token create --scope publish)", 401)
        return view(*args, **kwargs)
    return checked


@bp.errorhandler(catalog.CatalogError)
def _catalog_error(e: catalog.CatalogError) -> tuple[Response, int]:
    return _error(str(e), e.status)


@bp.errorhandler(StorageError)
def _storage_error(e: StorageError) -> tuple[Response, int]:
    """The bucket is out of reach for now: the publisher tries again, what arrived is kept."""
    return _error(e.render(), 503)


@bp.get("/ping")
def ping() -> Response:
    return jsonify(hub="airlift", api=1)


@bp.post("/blobs/missing")
@publisher
def blobs_missing() -> Response | tuple[Response, int]:
    digests = (request.get_json(silent=True) or {}).get("sha256")
    if not isinstance(digests, list) or not all(isinstance(d, str) and SHA256.match(d) for d in digests):
        return _error('send {"sha256": [hex digests]}', 400)
    missing = catalog.missing_blobs(db(), digests)
    store = hub().store
    held = {d: n for d in missing if (n := store.held(d))}  # a publisher cut off goes on from there
    return jsonify(missing=missing, held=held)


@bp.get("/blobs/<sha256>/upload")
@publisher
def upload_state(sha256: str) -> Response | tuple[Response, int]:
    if not SHA256.match(sha256):
        return _error(f"{sha256!r} is not a sha256 in hex", 400)
    if db().get(Blob, sha256) is not None:
        return jsonify(offset=None, complete=True)
    return jsonify(offset=hub().store.held(sha256), complete=False)


@bp.put("/blobs/<sha256>")
@publisher
def upload(sha256: str) -> Response | tuple[Response, int]:
    match = RANGE.match(request.headers.get("Content-Range", ""))
    if not SHA256.match(sha256) or match is None:
        return _error("send the blob's bytes with Content-Range: bytes START-END/TOTAL", 400)
    total = int(match.group(3))
    start = int(match.group(1)) if match.group(1) is not None else total
    if db().get(Blob, sha256) is not None:
        return jsonify(offset=None, complete=True)
    store = hub().store
    try:
        held = store.receive(sha256, start, total, request.stream)
    except OffsetMismatch as e:
        return _error(f"the upload stands at byte {e.held}", 409, offset=e.held)
    except UploadBusy:
        return _error("another request is sending this blob; ask for the offset and go on after it", 409,
                      offset=store.held(sha256), busy=True)
    except DigestMismatch as e:
        return _error(f"blob {sha256}: {e}; send it again from byte 0", 422, offset=0)
    except (ClientDisconnected, ConnectionError, ssl.SSLError, TimeoutError):  # cut: the publisher resumes
        held = store.held(sha256)
        hub().counters.add(held - start)
        return _error("the upload was cut; ask for the offset and go on", 400, offset=held)
    hub().counters.add(held - start)
    if held < total:
        return jsonify(offset=held, complete=False)
    _record_blob(sha256, total)
    return jsonify(offset=None, complete=True)


@bp.post("/blobs")
@publisher
def upload_batch() -> Response | tuple[Response, int]:
    """Small blobs, each whole, as one tar stream (hub.blob_batch); the publisher sends those
    not in `kept` one by one."""
    try:
        kept, refused, size = blob_batch.receive(db(), hub().store, request.stream)
    except blob_batch.BatchRefused as e:
        return _error(str(e), 400)
    except (EOFError, ClientDisconnected, ConnectionError, ssl.SSLError, TimeoutError):
        return _error("the batch was cut; send it again", 400)
    hub().counters.add(size)
    return jsonify(kept=kept, refused=refused)


def _record_blob(sha256: str, size: int) -> None:
    session = db()
    session.add(Blob(sha256=sha256, size=size))
    try:
        session.commit()
    except IntegrityError:  # recorded by another request meanwhile
        session.rollback()


@bp.post("/releases")
@publisher
def publish() -> tuple[Response, int]:
    body = request.get_json(silent=True) or {}
    index, signature, channel = body.get("index"), body.get("signature"), body.get("channel")
    if not isinstance(index, str) or not isinstance(signature, str | None) or not isinstance(channel, str | None):
        return _error('send {"index": index.json text, "signature": signature.json text or null, '
                      '"channel": name or null}', 400)
    done = catalog.publish(db(), index.encode(), signature.encode() if signature is not None else None)
    if channel:
        catalog.promote(db(), done.release, channel, PUBLISHER)
    return jsonify(_release(done.release) | {"created": done.created}), 201 if done.created else 200


@bp.get("/applications")
@publisher
def applications() -> Response:
    apps = db().scalars(select(Application).order_by(Application.name))
    return jsonify(applications=[{"name": a.name, "releases": len(a.releases)} for a in apps])


@bp.get("/applications/<name>/releases")
@publisher
def releases(name: str) -> Response:
    found = db().scalars(select(Release).join(Application).where(Application.name == name)
                         .order_by(Release.created_at.desc()))
    return jsonify(releases=[_release(r) for r in found])


@bp.get("/applications/<name>/releases/<version>")
@publisher
def release(name: str, version: str) -> Response:
    return jsonify(_release(catalog.get_release(db(), name, version)))


@bp.patch("/applications/<name>/releases/<version>")
@publisher
def edit(name: str, version: str) -> Response | tuple[Response, int]:
    body = request.get_json(silent=True) or {}
    notes, required = body.get("notes"), body.get("required")
    if not isinstance(notes, str | None) or not isinstance(required, bool | None):
        return _error('send {"notes": text, "required": true|false} (either may be left out)', 400)
    return jsonify(_release(catalog.edit(db(), catalog.get_release(db(), name, version), notes, required)))


@bp.post("/applications/<name>/releases/<version>/promotions")
@publisher
def promote(name: str, version: str) -> Response | tuple[Response, int]:
    channel = (request.get_json(silent=True) or {}).get("channel")
    if not isinstance(channel, str):
        return _error('send {"channel": name}', 400)
    found = catalog.get_release(db(), name, version)
    catalog.promote(db(), found, channel, PUBLISHER)
    return jsonify(_release(found))


@bp.get("/applications/<name>/releases/<version>/bundle.tar")
@publisher
def download(name: str, version: str) -> Response:
    return bundle_response(catalog.get_release(db(), name, version))


@bp.get("/applications/<name>/releases/<version>/index.json")
@publisher
def release_index(name: str, version: str) -> Response:
    """The release's index.json byte for byte (the publisher makes differential indexes from it)."""
    return Response(catalog.get_release(db(), name, version).index_json, mimetype="application/json")


@bp.get("/applications/<name>/releases/<version>/differentials")
@publisher
def release_differentials(name: str, version: str) -> Response:
    """The earlier releases this one has a differential bundle against, newest first."""
    found = catalog.get_release(db(), name, version)
    made = differentials.kept(db(), found)
    return jsonify(differentials=[_differential(found, base, made.get(base.id))
                                  for base in differentials.earlier_releases(db(), found)])


@bp.get("/applications/<name>/releases/<version>/differentials/<base>/index.json")
@publisher
def differential_index(name: str, version: str, base: str) -> Response:
    """The differential index, made now if it was not yet: what a signing publisher signs."""
    diff = differentials.differential_of(db(), name, version, base)
    return Response(diff.index_json, mimetype="application/json")


@bp.get("/applications/<name>/releases/<version>/differentials/<base>/bundle.tar")
@publisher
def differential_download(name: str, version: str, base: str) -> Response:
    return differential_response(differentials.differential_of(db(), name, version, base))


@bp.put("/applications/<name>/releases/<version>/differentials/<base>/signature")
@publisher
def differential_signature(name: str, version: str, base: str) -> Response:
    """signature.json over the differential index, as `build.py --sign` makes it."""
    found = catalog.get_release(db(), name, version)
    diff = differentials.add_signature(db(), found, base, request.get_data())
    return jsonify(_differential(found, diff.base, diff))


@bp.get("/channels")
@publisher
def channels() -> Response:
    found = db().scalars(select(Channel).order_by(Channel.name))
    return jsonify(channels=[{"name": c.name, "releases": [
        {"application": p.release.application.name, "version": p.release.version,
         "promoted_at": p.promoted_at.isoformat()} for p in c.promotions]} for c in found])


@bp.get("/stats")
@publisher
def stats() -> Response:
    counters = hub().counters
    return jsonify(blob_bytes_received=counters.blob_bytes, blob_requests=counters.blob_requests)


def _release(r: Release) -> dict[str, Any]:
    return {"application": r.application.name, "version": r.version, "size": r.size,
            "index_sha256": r.index_sha256, "signed": r.signature_json is not None,
            "signature_key_id": catalog.signature_key_id(r), "notes": r.notes, "required": r.required,
            "channels": sorted(p.channel.name for p in r.promotions), "created_at": r.created_at.isoformat()}


def _differential(release: Release, base: Release, made: Differential | None) -> dict[str, Any]:
    """One base of a release's differential bundles; size and signature once it was made."""
    return {"base": base.version, "made": made is not None,
            "size": made.size if made else None, "signed": bool(made and made.signature_json),
            "index_sha256": made.index_sha256 if made else None,
            "needs_signature": release.signature_json is not None and not (made and made.signature_json)}
