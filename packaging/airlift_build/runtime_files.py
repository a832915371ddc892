"""The runtime the bundle carries: the k3s binary, its air-gap images and the registry binary.

k3s is checked before anything is fetched: it must answer `--version` with a release that has
disable-default-registry-endpoint (airlift_build.k3s_version), and its air-gap images must be
given (airlift_build.airgap_images) unless the vendor says with --no-k3s-images that the bundle
is meant to run without them (the k3s stand-in of `make bundle`).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from airlift_build.airgap_images import ARCH, BUNDLE_PATH, EXPECTED, check_airgap_archive
from airlift_build.files import BundleFile
from airlift_build.k3s_version import check_k3s_version, read_k3s_version
from installer.errors import AirliftError

DEFAULT_REGISTRY_BIN = "docker-registry"


@dataclass(frozen=True)
class RuntimeRequest:
    """What the build.py command line says about the runtime."""

    k3s: Path | None
    k3s_images: Path | None
    no_k3s_images: bool
    registry_bin: Path | None


@dataclass(frozen=True)
class Runtime:
    files: list[BundleFile]
    k3s_version: str


def runtime_files(request: RuntimeRequest) -> Runtime:
    """Every runtime file and the k3s version, or an error saying exactly what is missing."""
    registry = request.registry_bin or _which(DEFAULT_REGISTRY_BIN)
    problems = _missing(request, registry)
    if problems:
        raise AirliftError("The bundle's runtime is incomplete", details="\n".join(f"  - missing {p}" for p in problems),
                           hint="give every missing file on the build.py command line and build again")
    assert request.k3s is not None and registry is not None
    version = read_k3s_version(request.k3s)
    check_k3s_version(version)
    files = [BundleFile("runtime/k3s", source=request.k3s, mode=0o755, compress=True),
             BundleFile("runtime/registry", source=registry, mode=0o755, compress=True)]
    if request.k3s_images is not None:
        suffix = check_airgap_archive(request.k3s_images)
        files.append(BundleFile(BUNDLE_PATH + suffix, source=request.k3s_images, compress=suffix == ".tar"))
    return Runtime(files, version)


def _missing(request: RuntimeRequest, registry: Path | None) -> list[str]:
    problems = []
    if request.k3s is None:
        problems.append(f"the k3s binary: give it with --k3s PATH (the `k3s` file of a k3s release for "
                        f"linux/{ARCH}, downloaded on a connected machine)")
    elif not _executable_file(request.k3s):
        problems.append(f"the k3s binary: {request.k3s} is not an executable file")
    if request.k3s_images is None and not request.no_k3s_images:
        problems.append(f"the k3s air-gap images: give them with --k3s-images ARCHIVE ({EXPECTED} of the same "
                        "k3s release; without them k3s cannot start its system pods offline), or build "
                        "without them on purpose with --no-k3s-images")
    if registry is None:
        problems.append("the registry binary: install Debian's docker-registry (apt-get install "
                        "docker-registry) or give it with --registry-bin PATH")
    elif not _executable_file(registry):
        problems.append(f"the registry binary: {registry} is not an executable file")
    return problems


def _which(name: str) -> Path | None:
    found = shutil.which(name)
    return Path(found) if found else None


def _executable_file(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
