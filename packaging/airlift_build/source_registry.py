"""Images from a registry, through the OCI distribution API (`--source registry`).

Anonymous first; on a 401 the registry's challenge says how to authenticate, as docker and
skopeo follow it: `Basic` takes the registry's username and password, `Bearer realm=…` a token
from that service, asked with the username and password when there are any (private
repositories) and anonymously otherwise (public ones). Credentials come from
airlift_build.registry_login. Plain http for localhost, https everywhere else. Docker v2
schema2 and OCI manifests are accepted; from a multi-platform index, linux/amd64 is taken.
"""

from __future__ import annotations

import base64
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
from airlift_build.registry_login import PASSWORD_ENV, Credentials, CredentialStore
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


def login_hint(registry: str) -> str:
    return (f"log in with `docker login {registry}` (build.py reads ~/.docker/config.json and its credential "
            f"helpers), or give --registry-login {registry} --registry-username USER with the password in "
            f"${PASSWORD_ENV} or on standard input (--registry-password-stdin)")


class RegistrySource:
    """Fetches from whichever registry each image reference names."""

    name = "registry"

    def __init__(self, credentials: CredentialStore | None = None) -> None:
        self._session = requests.Session()
        self._credentials = credentials
        self._auth: dict[str, str] = {}  # image name -> Authorization header value

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
            auth = self._auth.get(image.name)
            try:
                resp = self._session.get(url, headers={**headers, **({"Authorization": auth} if auth else {})},
                                         stream=stream, timeout=TIMEOUT)
            except requests.RequestException as e:
                raise SourceUnavailable(f"registry {image.registry} is not reachable ({type(e).__name__})",
                                        hint="check the address and the network, or give the images "
                                             "with --source oci:DIR or docker-archive:FILE") from None
            if resp.status_code == 401 and not auth:
                self._auth[image.name] = self._authorization(image, resp.headers.get("WWW-Authenticate", ""))
                continue
            if resp.status_code in (401, 403):
                raise self._refused(image)
            if resp.status_code == 404:
                return None
            if resp.status_code != 200:
                raise SourceUnavailable(f"registry {image.registry}: GET {path} answered {resp.status_code}")
            return resp
        return None

    def _refused(self, image: ImageRef) -> SourceUnavailable:
        """The registry turned the pull down even after authenticating."""
        creds = self._lookup(image.registry)
        if creds is None:
            return SourceUnavailable(f"registry {image.registry} refuses an anonymous pull of {image.repository} "
                                     "(or has no such repository)", hint=login_hint(image.registry))
        return SourceUnavailable(f"registry {image.registry} refuses {creds.username} the pull of {image.repository}",
                                 hint=f"check the user's password and its access to {image.repository}; "
                                      + login_hint(image.registry))

    def _authorization(self, image: ImageRef, challenge: str) -> str:
        """The Authorization header the challenge asks for."""
        scheme = challenge.split(" ", 1)[0].lower()
        creds = self._lookup(image.registry)
        if scheme == "basic":
            if creds is None:
                raise SourceUnavailable(f"registry {image.registry} asks for a username and password",
                                        hint=login_hint(image.registry))
            return _basic(creds)
        if scheme == "bearer":
            return f"Bearer {self._token(image, challenge, creds)}"
        raise SourceUnavailable(f"registry {image.registry} asks for an authentication Airlift does not speak "
                                f"({challenge or 'no challenge'})",
                                hint="export the images with skopeo or docker save and give them with "
                                     "--source oci:DIR or --source docker-archive:FILE")

    def _token(self, image: ImageRef, challenge: str, creds: Credentials | None) -> str:
        """A bearer token for pulling this repository, asked with the credentials when there are any."""
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = params.pop("realm", None)
        if not realm:
            raise SourceUnavailable(f"registry {image.registry} asks for a token but names no token service "
                                    f"({challenge})")
        params.setdefault("scope", f"repository:{image.repository}:pull")
        if creds and not _private_channel(realm):
            raise SourceUnavailable(f"registry {image.registry} names a token service over plain http ({realm}); "
                                    "Airlift sends no password there", hint="use a registry whose token service is https")
        try:
            resp = self._session.get(realm, params=params, timeout=TIMEOUT,
                                     headers={"Authorization": _basic(creds)} if creds else {})
        except requests.RequestException as e:
            raise SourceUnavailable(f"registry {image.registry}: token request to {realm} failed ({e})") from None
        if resp.status_code in (401, 403):
            raise self._refused(image)
        try:
            resp.raise_for_status()
            body = resp.json()
        except (requests.RequestException, ValueError) as e:
            raise SourceUnavailable(f"registry {image.registry}: token request to {realm} failed ({e})") from None
        return body.get("token") or body.get("access_token") or ""

    def _lookup(self, registry: str) -> Credentials | None:
        return self._credentials.lookup(API_HOSTS.get(registry, registry)) if self._credentials else None


def _private_channel(url: str) -> bool:
    """https, or http to this machine: where a password may be sent."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit(":", 1)[0] if not rest.startswith("[") else rest.split("]", 1)[0] + "]"
    return scheme == "https" or (scheme == "http" and host in LOCAL_HOSTS)


def _basic(creds: Credentials) -> str:
    pair = f"{creds.username}:{creds.password}".encode()
    return "Basic " + base64.b64encode(pair).decode()
