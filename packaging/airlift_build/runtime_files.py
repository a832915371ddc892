"""The runtime the bundle carries: the k3s binary (+ air-gap images) and the registry binary."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from airlift_build.files import BundleFile
from installer.errors import AirliftError

DEFAULT_REGISTRY_BIN = "docker-registry"
AIRGAP_BASE = "runtime/k3s-airgap-images-amd64"
# The forms a k3s release ships its air-gap images in; k3s imports each of them as it is.
AIRGAP_SUFFIXES = (".tar.zst", ".tar.gz", ".tar")


def runtime_files(k3s: Path | None, k3s_images: Path | None, registry_bin: Path | None) -> list[BundleFile]:
    """Every runtime file, or an error saying exactly what is missing and how to give it."""
    problems = []
    if k3s is None:
        problems.append("the k3s binary: give it with --k3s PATH (the `k3s` file of a k3s release for "
                        "linux/amd64, downloaded on a connected machine)")
    elif not _executable_file(k3s):
        problems.append(f"the k3s binary: {k3s} is not an executable file")
    airgap_suffix = _airgap_suffix(k3s_images)
    if k3s_images is not None and (not k3s_images.is_file() or airgap_suffix is None):
        problems.append(f"the k3s air-gap images: {k3s_images} is not a .tar, .tar.gz or .tar.zst file "
                        "(k3s-airgap-images-amd64.tar.zst from the same k3s release)")
    registry = registry_bin or _which(DEFAULT_REGISTRY_BIN)
    if registry is None:
        problems.append("the registry binary: install Debian's docker-registry (apt-get install "
                        "docker-registry) or give it with --registry-bin PATH")
    elif not _executable_file(registry):
        problems.append(f"the registry binary: {registry} is not an executable file")
    if problems:
        raise AirliftError("The bundle's runtime is incomplete", details="\n".join(f"  - missing {p}" for p in problems),
                           hint="give every missing file on the build.py command line and build again")
    assert k3s is not None and registry is not None
    files = [BundleFile("runtime/k3s", source=k3s, mode=0o755, compress=True),
             BundleFile("runtime/registry", source=registry, mode=0o755, compress=True)]
    if k3s_images is not None and airgap_suffix is not None:
        files.append(BundleFile(AIRGAP_BASE + airgap_suffix, source=k3s_images, compress=airgap_suffix == ".tar"))
    return files


def _airgap_suffix(path: Path | None) -> str | None:
    if path is None:
        return None
    return next((s for s in AIRGAP_SUFFIXES if path.name.endswith(s)), None)


def _which(name: str) -> Path | None:
    found = shutil.which(name)
    return Path(found) if found else None


def _executable_file(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
