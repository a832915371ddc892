"""Choose image sources from `--source` and fetch every image, trying them in order.

An image no source has is an error naming the image, every place that uses it, and why each
source could not provide it (not there, or the source itself unreachable).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from airlift_build.blobstore import BlobStore
from airlift_build.images import ImageRecord
from airlift_build.registry_login import CredentialStore
from airlift_build.source_archive import DockerArchiveSource
from airlift_build.source_base import ByteProgress, Source, SourceUnavailable
from airlift_build.source_docker import DockerDaemonSource
from airlift_build.source_oci import OciLayoutSource
from airlift_build.source_registry import RegistrySource
from installer.errors import AirliftError

DEFAULT_SOURCES = ("docker", "registry")
SPEC_HELP = "oci:DIR, docker-archive:FILE, docker or registry"


def make_sources(specs: list[str], base: Path, credentials: CredentialStore | None = None) -> list[Source]:
    """Sources from their specs, in order; relative paths are taken from the current folder."""
    out: list[Source] = []
    for spec in specs or DEFAULT_SOURCES:
        kind, _, arg = spec.partition(":")
        if kind == "oci" and arg:
            out.append(OciLayoutSource(_existing(base / arg, spec)))
        elif kind == "docker-archive" and arg:
            out.append(DockerArchiveSource(_existing(base / arg, spec)))
        elif spec == "docker":
            out.append(DockerDaemonSource())
        elif spec == "registry":
            out.append(RegistrySource(credentials))
        else:
            raise AirliftError(f"--source {spec!r} is not a source", hint=f"use {SPEC_HELP}")
    return out


def _existing(path: Path, spec: str) -> Path:
    if not path.exists():
        raise AirliftError(f"--source {spec}: {path} does not exist",
                           hint="give the path of an OCI image layout folder or a docker-archive file")
    return path


def fetch_all(images: dict[str, list[str]], sources: list[Source], store: BlobStore,
              on_image: Callable[[str, str], None], progress: ByteProgress) -> list[ImageRecord]:
    """Fetch every image (ref -> places using it); every missing image is reported at once."""
    records, missing = [], []
    for ref in sorted(images):
        on_image(ref, "fetching")
        record, reasons = _fetch_one(ref, sources, store, progress)
        if record is None:
            places = "; ".join(images[ref]) or "the manifest"
            missing.append(f"  - {ref}\n      used by: {places}\n      " + "\n      ".join(reasons))
        else:
            records.append(record)
            on_image(ref, f"from {record.source}")
    if missing:
        raise AirliftError(f"{len(missing)} image{'s' if len(missing) > 1 else ''} could not be found",
                           details="\n".join(missing),
                           hint=f"make each image available to one of the sources ({SPEC_HELP}), "
                                "e.g. docker pull/load it, or give its OCI layout with --source oci:DIR")
    return records


def _fetch_one(ref: str, sources: list[Source], store: BlobStore,
               progress: ByteProgress) -> tuple[ImageRecord | None, list[str]]:
    reasons = []
    for source in sources:
        try:
            record = source.fetch(ref, store, progress)
        except SourceUnavailable as e:
            reasons.append(f"{source.name}: {e.message}" + (f"\n        what to do: {e.hint}" if e.hint else ""))
            continue
        if record is not None:
            return record, reasons
        reasons.append(f"{source.name}: not found")
    return None, reasons
