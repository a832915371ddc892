"""Check through the registry's own HTTP API that it serves every image of the bundle.

Filling storage directly bypasses the registry's checks, so the registry must prove the result:
each tag resolves (HEAD with every manifest media type accepted) to the digest the bundle names,
each child manifest is served by digest, and each blob is present with its size. Every problem is
collected, so the operator sees them all at once. The caller's session carries the CA to trust and
the credentials, as every pull from the registry must.
"""

from __future__ import annotations

from collections.abc import Callable

import requests

from installer.bundle import ImageContent, ImageInfo
from installer.bundle.images import split_ref
from installer.errors import AirliftError

MANIFEST_ACCEPT = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
])
TIMEOUT_S = 30


def verify_images(session: requests.Session, url: str, images: list[ImageContent],
                  progress: Callable[[int, int], None] | None = None) -> None:
    """Raise AirliftError listing every manifest or blob the registry at `url` does not serve right."""
    problems: list[str] = []
    total = sum(len(i.manifests) + len(i.blobs) for i in images)
    done = 0
    for image in images:
        problems += _check_image(session, url, image)
        done += len(image.manifests) + len(image.blobs)
        if progress:
            progress(done, total)
    if problems:
        raise AirliftError(
            f"The registry at {url} does not serve {len(problems)} item(s) of the bundle",
            details="\n".join(problems[:20]),
            hint="Re-run the install with --resume to populate the registry again; "
                 "if it fails again, check the registry log.",
        )


def tag_problems(session: requests.Session, url: str, images: list[ImageInfo]) -> list[str]:
    """What is wrong with each image's tag as the registry at `url` serves it (empty: every tag
    resolves to the manifest the bundle names). The light check `./install status` makes."""
    problems = []
    for image in images:
        _, repository, tag = split_ref(image.ref)
        reference = tag or image.digest
        got = _head(session, f"{url}/v2/{repository}/manifests/{reference}", {"Accept": MANIFEST_ACCEPT})
        served = got.headers.get("Docker-Content-Digest") if got is not None else None
        if served != image.digest:
            problems.append(f"{image.ref}: served as {served or _status(got)}, expected {image.digest}")
    return problems


def _check_image(session: requests.Session, url: str, image: ImageContent) -> list[str]:
    problems = []
    base = f"{url}/v2/{image.repository}"
    refs = [(image.tag, image.manifest.digest)] if image.tag else []
    refs += [(m.digest, m.digest) for m in image.manifests]
    for reference, digest in refs:
        got = _head(session, f"{base}/manifests/{reference}", {"Accept": MANIFEST_ACCEPT})
        served = got.headers.get("Docker-Content-Digest") if got is not None else None
        if served != digest:
            problems.append(f"{image.ref}: manifest {reference} served as {served or _status(got)}, "
                            f"expected {digest}")
    for blob in image.blobs:
        got = _head(session, f"{base}/blobs/{blob.digest}", {})
        size = int(got.headers.get("Content-Length", -1)) if got is not None and got.ok else None
        if size != blob.size:
            problems.append(f"{image.ref}: blob {blob.digest} {_status(got)} (size {size}, expected {blob.size})")
    return problems


def _head(session: requests.Session, url: str, headers: dict[str, str]) -> requests.Response | None:
    try:
        return session.head(url, headers=headers, timeout=TIMEOUT_S, allow_redirects=True)
    except requests.RequestException:
        return None


def _status(response: requests.Response | None) -> str:
    return "unreachable" if response is None else f"HTTP {response.status_code}"
