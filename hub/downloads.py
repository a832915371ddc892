"""A release's full bundle as a download, streamed from the blobs (hub.tarstream)."""

from __future__ import annotations

from flask import Response, stream_with_context

from hub.context import hub
from hub.models import Release
from hub.tarstream import stream_tar, tar_size
from installer.bundle.index import Index


def bundle_response(release: Release) -> Response:
    index = Index.from_json(release.index_json)
    store = hub().store
    body = stream_tar(index, release.index_json, release.signature_json, store.read)
    response = Response(stream_with_context(body), mimetype="application/x-tar")
    response.headers["Content-Length"] = str(tar_size(index, release.index_json, release.signature_json))
    response.headers["Content-Disposition"] = f'attachment; filename="{index.name}-{index.version}.tar"'
    return response
