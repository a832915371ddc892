"""The k3s release the bundle carries: read from `k3s --version`, refused when too old.

Airlift's registries.yaml relies on `disable-default-registry-endpoint`, so that containerd
never falls back to the internet. k3s added it in v1.26.13, v1.27.10, v1.28.6 and v1.29.1
(January 2024); every release from v1.30 has it. An older k3s would start, then try the
upstream registries on every pull, which an air-gapped site must never see.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from installer.errors import AirliftError

# The first patch release of each minor line that has disable-default-registry-endpoint.
FIRST_PATCH_WITH_ENDPOINT_SWITCH = {26: 13, 27: 10, 28: 6, 29: 1}
FIRST_MINOR_ALWAYS_OK = 30
_VERSION_LINE = re.compile(r"^k3s version (v(\d+)\.(\d+)\.(\d+)\S*)")
TIMEOUT_S = 30


def read_k3s_version(binary: Path) -> str:
    """The version `BINARY --version` prints on its first line, e.g. "v1.29.1+k3s1"."""
    try:
        run = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise AirliftError(f"Cannot run {binary} --version to learn its k3s version ({_reason(e)})",
                           hint="give with --k3s the k3s binary for linux/amd64 and build on a linux/amd64 "
                                "machine, which can run it") from None
    output = (run.stdout or run.stderr or "").strip()
    first = output.splitlines()[0] if output else ""
    match = _VERSION_LINE.match(first) if run.returncode == 0 else None
    if match is None:
        raise AirliftError(f"{binary} does not answer --version like k3s (it printed {first or 'nothing'!r})",
                           hint="give with --k3s the `k3s` binary of a k3s release; its first line reads "
                                "`k3s version v1.29.1+k3s1 (...)`")
    return match.group(1)


def check_k3s_version(version: str) -> None:
    """Refuse a k3s without disable-default-registry-endpoint, naming the minimum of its line."""
    match = re.match(r"^v(\d+)\.(\d+)\.(\d+)", version)
    if match is None:
        raise AirliftError(f"k3s version {version!r} is not a version Airlift can compare")
    major, minor, patch = (int(g) for g in match.groups())
    if major > 1 or minor >= FIRST_MINOR_ALWAYS_OK:
        return
    first = FIRST_PATCH_WITH_ENDPOINT_SWITCH.get(minor) if major == 1 else None
    if first is not None and patch >= first:
        return
    minimum = f"v1.{minor}.{first}" if first is not None else "v1.26.13"
    raise AirliftError(
        f"k3s {version} is too old for an air-gapped install: the minimum is {minimum}",
        details="Airlift turns off containerd's fallback to the internet with disable-default-registry-endpoint, "
                "which k3s has from v1.26.13, v1.27.10, v1.28.6, v1.29.1 and every v1.30 or later",
        hint=f"download k3s {minimum} or later (and its k3s-airgap-images archive of the same release) "
             "and build again")


def _reason(e: BaseException) -> str:
    if isinstance(e, subprocess.TimeoutExpired):
        return f"no answer within {TIMEOUT_S} s"
    return getattr(e, "strerror", None) or type(e).__name__
