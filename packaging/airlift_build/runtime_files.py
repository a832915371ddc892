"""The runtime the bundle carries: the k3s binary, its air-gap images, the registry binary and the
monitoring binaries (Prometheus, node_exporter, Alertmanager).

k3s is checked before anything is fetched: it must answer `--version` with a release that has
disable-default-registry-endpoint (airlift_build.k3s_version), and its air-gap images must be
given (airlift_build.airgap_images) unless the vendor says with --no-k3s-images that the bundle
is meant to run without them (the k3s stand-in of `make bundle`).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from airlift_build.airgap_images import ARCH, BUNDLE_PATH, EXPECTED, check_airgap_archive
from airlift_build.files import BundleFile
from airlift_build.k3s_version import check_k3s_version, read_k3s_version
from installer.errors import AirliftError


@dataclass(frozen=True)
class CarriedBinary:
    """A program taken from a Debian package on the build machine: where the bundle keeps it,
    the command found on PATH by default, its package and the build.py option that replaces it."""

    bundle_path: str
    command: str
    package: str
    option: str
    what: str


REGISTRY = CarriedBinary("runtime/registry", "docker-registry", "docker-registry", "--registry-bin",
                         "the registry binary")
PROMETHEUS = CarriedBinary("runtime/prometheus", "prometheus", "prometheus", "--prometheus-bin",
                           "the Prometheus binary")
NODE_EXPORTER = CarriedBinary("runtime/node-exporter", "prometheus-node-exporter", "prometheus-node-exporter",
                              "--node-exporter-bin", "the node_exporter binary")
ALERTMANAGER = CarriedBinary("runtime/alertmanager", "prometheus-alertmanager", "prometheus-alertmanager",
                             "--alertmanager-bin", "the Alertmanager binary")
MONITORING = (PROMETHEUS, NODE_EXPORTER, ALERTMANAGER)
CARRIED = (REGISTRY, *MONITORING)
DEFAULT_REGISTRY_BIN = REGISTRY.command


@dataclass(frozen=True)
class RuntimeRequest:
    """What the build.py command line says about the runtime."""

    k3s: Path | None
    k3s_images: Path | None
    no_k3s_images: bool
    registry_bin: Path | None
    binaries: dict[str, Path] = field(default_factory=dict)  # bundle path -> a binary given on the command line


@dataclass(frozen=True)
class Runtime:
    files: list[BundleFile]
    k3s_version: str


def runtime_files(request: RuntimeRequest) -> Runtime:
    """Every runtime file and the k3s version, or an error saying exactly what is missing."""
    given = {REGISTRY.bundle_path: request.registry_bin, **request.binaries}
    binaries = {b.bundle_path: given.get(b.bundle_path) or _which(b.command) for b in CARRIED}
    problems = _missing(request) + [p for b in CARRIED if (p := _binary_problem(b, binaries[b.bundle_path]))]
    if problems:
        raise AirliftError("The bundle's runtime is incomplete", details="\n".join(f"  - missing {p}" for p in problems),
                           hint="give every missing file on the build.py command line and build again")
    assert request.k3s is not None
    version = read_k3s_version(request.k3s)
    check_k3s_version(version)
    files = [BundleFile("runtime/k3s", source=request.k3s, mode=0o755, compress=True)]
    files += [BundleFile(path, source=source, mode=0o755, compress=True)
              for path, source in binaries.items() if source is not None]
    if request.k3s_images is not None:
        suffix = check_airgap_archive(request.k3s_images)
        files.append(BundleFile(BUNDLE_PATH + suffix, source=request.k3s_images, compress=suffix == ".tar"))
    return Runtime(files, version)


def _missing(request: RuntimeRequest) -> list[str]:
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
    return problems


def _binary_problem(binary: CarriedBinary, path: Path | None) -> str | None:
    if path is None:
        return (f"{binary.what}: install Debian's {binary.package} (apt-get install {binary.package}) "
                f"or give it with {binary.option} PATH")
    if not _executable_file(path):
        return f"{binary.what}: {path} is not an executable file"
    return None


def _which(name: str) -> Path | None:
    found = shutil.which(name)
    return Path(found) if found else None


def _executable_file(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
