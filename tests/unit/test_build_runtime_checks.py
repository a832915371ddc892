"""The build's checks of the runtime: the k3s version gate and the air-gap archive's name."""

from __future__ import annotations

from pathlib import Path

import pytest
from airlift_build.airgap_images import airgap_suffix
from airlift_build.k3s_version import check_k3s_version

from installer.errors import AirliftError


@pytest.mark.parametrize("version", [
    "v1.26.13+k3s1", "v1.27.10+k3s2", "v1.28.6+k3s2", "v1.29.1+k3s1", "v1.29.13+k3s1",
    "v1.30.0+k3s1", "v1.33.2+k3s1", "v2.0.0+k3s1",
])
def test_releases_with_the_registry_endpoint_switch_pass(version: str) -> None:
    check_k3s_version(version)


@pytest.mark.parametrize("version, minimum", [
    ("v1.26.12+k3s1", "v1.26.13"), ("v1.27.9+k3s1", "v1.27.10"), ("v1.28.5+k3s1", "v1.28.6"),
    ("v1.29.0+k3s1", "v1.29.1"), ("v1.25.16+k3s4", "v1.26.13"), ("v1.21.1+k3s1", "v1.26.13"),
])
def test_older_releases_are_refused_naming_the_minimum_of_their_line(version: str, minimum: str) -> None:
    with pytest.raises(AirliftError) as e:
        check_k3s_version(version)
    assert e.value.message == f"k3s {version} is too old for an air-gapped install: the minimum is {minimum}"


@pytest.mark.parametrize("name, suffix", [
    ("k3s-airgap-images-amd64.tar", ".tar"), ("k3s-airgap-images-amd64.tar.gz", ".tar.gz"),
    ("k3s-airgap-images-amd64.tar.zst", ".tar.zst"),
])
def test_k3s_archive_names_give_their_format(name: str, suffix: str) -> None:
    assert airgap_suffix(Path(name)) == suffix


@pytest.mark.parametrize("name, words", [
    ("k3s-airgap-images-arm.tar", "is for arm, but Airlift builds for amd64"),
    ("k3s-airgap-images-amd64.tar.lz4", "the name is not k3s's"),
    ("k3s-images-amd64.tar", "the name is not k3s's"),
])
def test_other_names_are_refused(name: str, words: str) -> None:
    with pytest.raises(AirliftError, match=words):
        airgap_suffix(Path(name))
