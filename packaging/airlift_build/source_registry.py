"""Images from a registry, through the OCI distribution API (`--source registry`).

Anonymous access and bearer tokens (the `WWW-Authenticate: Bearer realm=…` dance Docker Hub
and most registries use); plain http for localhost, https everywhere else. Docker v2 schema2
and OCI manifests are accepted; from a multi-platform index, linux/amd64 is taken.
"""

from __future__ import annotations

import re

import requests

from airlift_build.blobstore import BlobStore
from airlift_build.images import (
    INDEX_TYPES,
    MANIFEST_TYPES,
    Descriptor,
    ImageRecord,
    parse_manifest,
    pick_platform,
    record_from_manifest,
)
from airlift_build.source_base import ByteProgress, SourceUnavailable
from installer.imageref import ImageRef, parse_image

ACCEPT = ", ".join(MANIFEST_TYPES + INDEX_TYPES)
API_HOSTS = {"docker.io": "registry-1.docker.io"}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
TIMEOUT = (10, 120)


def registry_url(registry: str) -> str:
    """The base URL of a registry's API: http for loopback, https otherwise."""
    host = API_HOSTS.get(registry, registry)
    scheme = "http" if host.rsplit(":", 1)[0] in LOCAL_HOSTS or host.startswith("[::1]") else "https"
    return f"{scheme}://{host}"


class RegistrySource:
    """Fetches from whichever registry each image reference names."""

    name = "registry"

    def __init__(self) -> None:
        self._session = requests.Session()
        self._tokens: dict[str, str] = {}

    def fetch(self, ref: str, store: BlobStore, progress: ByteProgress) -> ImageRecord | None:
        image = parse_image(ref)
        resp = self._get(image, f"manifests/{image.reference}", {"Accept": ACCEPT})
        if resp is None:
            return None
        media_type, doc = parse_manifest(resp.content, resp.headers.get("Content-Type", "").split(";")[0])
        expected = image.digest
        if media_type in INDEX_TYPES:
            entry = pick_platform(doc)
            if entry is None:
                raise SourceUnavailable(f"registry: {ref} has no linux/amd64 image")
            expected = entry["digest"]
            resp = self._get(image, f"manifests/{expected}", {"Accept": ACCEPT})
            if resp is None:
                return None
            media_type, doc = parse_manifest(resp.content, entry.get("mediaType"))
        digest = store.put_bytes(resp.content, expected, f"registry ({ref})")
        record = record_from_manifest(ref, Descriptor(media_type, digest, len(resp.content)), doc, self.name)
        for blob in record.blobs[1:]:
            if not store.has(blob.digest):
                self._fetch_blob(image, blob, store, progress)
        return record

    def _fetch_blob(self, image: ImageRef, blob: Descriptor, store: BlobStore, progress: ByteProgress) -> None:
        resp = self._get(image, f"blobs/{blob.digest}", {}, stream=True)
        if resp is None:
            raise SourceUnavailable(f"registry: blob {blob.digest} of {image} is missing from {image.registry}")
        with resp:
            store.put_stream(resp.raw.read, blob.digest, f"registry ({image})", progress)

    def _get(self, image: ImageRef, path: str, headers: dict, stream: bool = False) -> requests.Response | None:
        """GET /v2/<repo>/<path>, authenticating once on a 401; None on 404."""
        url = f"{registry_url(image.registry)}/v2/{image.repository}/{path}"
        for _ in range(2):
            token = self._tokens.get(image.name)
            auth = {"Authorization": f"Bearer {token}"} if token else {}
            try:
                resp = self._session.get(url, headers={**headers, **auth}, stream=stream, timeout=TIMEOUT)
            except requests.RequestException as e:
                raise SourceUnavailable(f"registry {image.registry} is not reachable ({type(e).__name__})",
                                        hint="check the address and the network, or give the images "
                                             "with --source oci:DIR or docker-archive:FILE") from None
            if resp.status_code == 401 and not token:
                self._tokens[image.name] = self._token(image, resp.headers.get("WWW-Authenticate", ""))
                continue
            if resp.status_code == 404 or (resp.status_code == 401 and token):
                return None
            if resp.status_code != 200:
                raise SourceUnavailable(f"registry {image.registry}: GET {path} answered {resp.status_code}")
            return resp
        return None

    def _token(self, image: ImageRef, challenge: str) -> str:
        """An anonymous bearer token for pulling this repository."""
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = params.pop("realm", None)
        if not challenge.lower().startswith("bearer") or not realm:
            raise SourceUnavailable(f"registry {image.registry} asks for credentials ({challenge or 'no challenge'})",
                                    hint="Airlift pulls anonymously; export the image with docker save "
                                         "and give it with --source docker-archive:FILE")
        params.setdefault("scope", f"repository:{image.repository}:pull")
        try:
            resp = self._session.get(realm, params=params, timeout=TIMEOUT)
            resp.raise_for_status()
            body = resp.json()
        except (requests.RequestException, ValueError) as e:
            raise SourceUnavailable(f"registry {image.registry}: token request to {realm} failed ({e})") from None
        return body.get("token") or body.get("access_token") or ""

