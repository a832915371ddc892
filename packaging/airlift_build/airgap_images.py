"""k3s's air-gap images archive: without it a real k3s cannot start its pause, CoreDNS and other
system pods offline, so a real bundle always carries one, checked here before anything is built.

The archive must be the one a k3s release publishes: `k3s-airgap-images-<arch>.tar`, `.tar.gz`
or `.tar.zst`, for the architecture Airlift builds for, and readable as that format (its first
tar member is read, so a truncated download or a renamed file is caught now, not on the site).
"""

from __future__ import annotations

import re
import tarfile
from pathlib import Path

import zstandard

from airlift_build.images import PLATFORM
from installer.errors import AirliftError

ARCH = PLATFORM["architecture"]
BUNDLE_PATH = f"runtime/k3s-airgap-images-{ARCH}"
_NAME = re.compile(r"^k3s-airgap-images-(?P<arch>[a-z0-9]+)(?P<suffix>\.tar(?:\.zst|\.gz)?)$")
EXPECTED = f"k3s-airgap-images-{ARCH}.tar, .tar.gz or .tar.zst"


def airgap_suffix(path: Path) -> str:
    """`.tar`, `.tar.gz` or `.tar.zst`: the archive's format, from a name checked to be k3s's,
    for this build's architecture. Raises AirliftError naming what is wrong."""
    match = _NAME.match(path.name)
    if match is None:
        raise AirliftError(f"--k3s-images {path}: the name is not k3s's ({EXPECTED})",
                           hint="give the air-gap images archive of the same k3s release as --k3s, "
                                "under the name the release publishes")
    if match["arch"] != ARCH:
        raise AirliftError(f"--k3s-images {path} is for {match['arch']}, but Airlift builds for {ARCH}",
                           hint=f"give k3s-airgap-images-{ARCH} of the same k3s release as --k3s")
    return match["suffix"]


def check_airgap_archive(path: Path) -> str:
    """The archive's suffix, once it exists and reads as a tar in its format."""
    suffix = airgap_suffix(path)
    if not path.is_file():
        raise AirliftError(f"--k3s-images {path} does not exist or is not a file",
                           hint="give the path of the air-gap images archive you downloaded")
    try:
        _first_member(path, suffix)
    except (OSError, tarfile.TarError, zstandard.ZstdError, EOFError) as e:
        raise AirliftError(f"--k3s-images {path} cannot be read as a {suffix} archive ({e})",
                           hint="download the archive again (check its sha256 against the release's "
                                "sha256sum file); a renamed or truncated file cannot be imported by k3s") from None
    return suffix


def _first_member(path: Path, suffix: str) -> None:
    with open(path, "rb") as raw:
        if suffix == ".tar.zst":
            with zstandard.ZstdDecompressor().stream_reader(raw) as stream, \
                    tarfile.open(fileobj=stream, mode="r|") as tar:
                member = tar.next()
        else:
            with tarfile.open(fileobj=raw, mode="r|gz" if suffix == ".tar.gz" else "r|") as tar:
                member = tar.next()
    if member is None:
        raise tarfile.TarError("the archive is empty")
