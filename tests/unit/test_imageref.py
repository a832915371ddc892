"""Image references are normalised as Docker and containerd read them."""

from __future__ import annotations

import pytest

from installer.errors import AirliftError
from installer.imageref import normalize_image, parse_image

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(("text", "normalised"), [
    ("nginx", "docker.io/library/nginx:latest"),
    ("nginx:1.25", "docker.io/library/nginx:1.25"),
    ("hello/web:1.0.0", "docker.io/hello/web:1.0.0"),
    ("docker.io/nginx", "docker.io/library/nginx:latest"),
    ("index.docker.io/library/nginx:1", "docker.io/library/nginx:1"),
    ("registry-1.docker.io/bitnami/redis:7", "docker.io/bitnami/redis:7"),
    ("quay.io/gravitational/debian-tall:buster", "quay.io/gravitational/debian-tall:buster"),
    ("host:5000/a/b:t", "host:5000/a/b:t"),
    ("host:5000/a/b", "host:5000/a/b:latest"),
    ("localhost/app", "localhost/app:latest"),
    ("localhost:5000/app:2", "localhost:5000/app:2"),
    ("127.0.0.1:5000/x/y/z:v1.2-rc_3", "127.0.0.1:5000/x/y/z:v1.2-rc_3"),
    ("[::1]:5000/app:1", "[::1]:5000/app:1"),
    (f"nginx@{DIGEST}", f"docker.io/library/nginx@{DIGEST}"),
    (f"nginx:1.25@{DIGEST}", f"docker.io/library/nginx:1.25@{DIGEST}"),
    (f"ghcr.io/o/r@{DIGEST}", f"ghcr.io/o/r@{DIGEST}"),
    ("  nginx  ", "docker.io/library/nginx:latest"),
    ("MyRegistry/app:1", "MyRegistry/app:1"),
])
def test_normalise(text: str, normalised: str) -> None:
    assert normalize_image(text) == normalised
    assert normalize_image(normalised) == normalised


def test_accessors() -> None:
    ref = parse_image("host:5000/team/app:2.1")
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == ("host:5000", "team/app", "2.1", None)
    assert (ref.name, ref.reference) == ("host:5000/team/app", "2.1")
    pinned = parse_image(f"redis:7@{DIGEST}")
    assert (pinned.registry, pinned.repository, pinned.tag, pinned.digest) == ("docker.io", "library/redis", "7", DIGEST)
    assert pinned.reference == DIGEST


@pytest.mark.parametrize(("text", "why"), [
    ("", "no spaces"),
    ("my image", "no spaces"),
    ("Nginx", '"Nginx" is not a valid repository name part'),
    ("nginx:", '"" is not a valid tag'),
    ("nginx:-bad", '"-bad" is not a valid tag'),
    ("nginx@sha256:123", '"sha256:123" is not a digest'),
    ("a//b", '"" is not a valid repository name part'),
    ("bad_host:x:5000/app", '"bad_host:x:5000" is not a registry host'),
])
def test_bad_references_say_why(text: str, why: str) -> None:
    with pytest.raises(AirliftError) as caught:
        parse_image(text)
    assert f'"{text}" is not a valid image reference' in caught.value.message
    assert why in caught.value.message
    assert caught.value.hint
