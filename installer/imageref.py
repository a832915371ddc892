"""Container image references, normalised the way Docker and containerd read them.

`nginx` -> `docker.io/library/nginx:latest`; `host:5000/a/b:t` keeps its registry; a digest is
kept (with or without a tag). The build names images by their normalised reference, and the
installer uses `registry` to mirror every registry the images name to the local registry."""

from __future__ import annotations

import re
from dataclasses import dataclass

from installer.errors import AirliftError

DEFAULT_REGISTRY = "docker.io"
_LEGACY_REGISTRIES = ("index.docker.io", "registry-1.docker.io")
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_HOST = re.compile(r"^(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$")


@dataclass(frozen=True)
class ImageRef:
    """A parsed, normalised image reference."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None

    def __str__(self) -> str:
        out = f"{self.registry}/{self.repository}"
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out

    @property
    def name(self) -> str:
        """registry/repository, without tag or digest."""
        return f"{self.registry}/{self.repository}"

    @property
    def reference(self) -> str:
        """What a registry's manifest endpoint takes: the digest if pinned, else the tag."""
        return self.digest or self.tag or "latest"


def parse_image(text: str) -> ImageRef:
    """Parse and normalise `text`; AirliftError names the reference and what is wrong with it."""
    ref = str(text).strip()
    if not ref or any(c.isspace() for c in ref):
        raise _bad(text, "an image reference is a name with an optional :tag and @digest, no spaces")
    rest, _, digest = ref.partition("@")
    if digest and not _DIGEST.match(digest):
        raise _bad(text, f'"{digest}" is not a digest (e.g. sha256:<64 hex digits>)')
    registry, path = _split_registry(rest)
    path, tag = _split_tag(path, text)
    if registry == DEFAULT_REGISTRY and "/" not in path:
        path = f"library/{path}"
    for component in path.split("/"):
        if not _COMPONENT.match(component):
            raise _bad(text, f'"{component}" is not a valid repository name part (lower case, digits, ".", "_", "-")')
    if tag is None and not digest:
        tag = "latest"
    return ImageRef(registry=registry, repository=path, tag=tag, digest=digest or None)


def normalize_image(text: str) -> str:
    """The normalised string form: `nginx` -> `docker.io/library/nginx:latest`."""
    return str(parse_image(text))


def _split_registry(rest: str) -> tuple[str, str]:
    first, sep, remainder = rest.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first.startswith("[")
                or first != first.lower()):
        if not _HOST.match(first):
            raise _bad(rest, f'"{first}" is not a registry host')
        registry = DEFAULT_REGISTRY if first in _LEGACY_REGISTRIES else first
        return registry, remainder
    return DEFAULT_REGISTRY, rest


def _split_tag(path: str, text: str) -> tuple[str, str | None]:
    name, sep, tag = path.rpartition(":")
    if not sep or "/" in tag:
        return path, None
    if not _TAG.match(tag):
        raise _bad(text, f'"{tag}" is not a valid tag')
    return name, tag


def _bad(text: str, why: str) -> AirliftError:
    return AirliftError(f'"{text}" is not a valid image reference: {why}',
                        hint="write it as [registry/]repository[:tag][@sha256:digest], e.g. nginx:1.25")
