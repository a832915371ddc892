"""Bundles as downloads, streamed from the blobs (hub.tarstream): a release's full bundle, or its
differential bundle against an earlier release (hub.differentials).

Every download gives its length up front and takes an HTTP Range (one span), so a site whose
download was cut asks for the rest only. The ETag is the sha256 of the bundle's index and
signature, which fix every byte of the tarball: a resume sent with `If-Range` of another ETag
(a differential bundle that was signed meanwhile) gets the whole bundle again.
"""

from __future__ import annotations

import hashlib

from flask import Response, request, stream_with_context

from hub.context import hub
from hub.models import Differential, Release
from hub.tarstream import stream_tar, tar_size
from installer.bundle.index import Index


def bundle_response(release: Release) -> Response:
    """The full bundle, byte for byte the tarball build.py wrote."""
    return _tar_response(release.index_json, release.signature_json,
                         f"{release.application.name}-{release.version}.tar")


def differential_response(diff: Differential) -> Response:
    """The differential bundle, byte for byte what `build.py --since` writes (with the vendor's
    signature.json once the publisher sent it)."""
    release = diff.release
    return _tar_response(diff.index_json, diff.signature_json,
                         f"{release.application.name}-{release.version}-diff-{diff.base.version}.tar")


def _tar_response(index_bytes: bytes, signature: bytes | None, filename: str) -> Response:
    index = Index.from_json(index_bytes)
    total = tar_size(index, index_bytes, signature)
    etag = hashlib.sha256(index_bytes + (signature or b"")).hexdigest()
    span = _span(total, etag)
    headers = {"Accept-Ranges": "bytes", "ETag": f'"{etag}"',
               "Content-Disposition": f'attachment; filename="{filename}"'}
    if span is None:
        return Response(status=416, headers=headers | {"Content-Range": f"bytes */{total}"})
    start, stop = span
    body = stream_tar(index, index_bytes, signature, hub().store.read, start, stop)
    response = Response(stream_with_context(body), mimetype="application/x-tar", headers=headers)
    response.headers["Content-Length"] = str(stop - start)
    if (start, stop) != (0, total):
        response.status_code = 206
        response.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{total}"
    return response


def _span(total: int, etag: str) -> tuple[int, int] | None:
    """The bytes to send, [start, stop); None when the one range asked for lies past the end.
    No Range, several ranges, or an If-Range for another version of the bundle: all of it."""
    asked = request.range
    if asked is None or len(asked.ranges) != 1 or not _same_bundle(etag):
        return 0, total
    return asked.range_for_length(total)


def _same_bundle(etag: str) -> bool:
    if "If-Range" not in request.headers:
        return True
    return request.if_range.etag == etag
