"""A downloaded bundle tarball, checked before it is kept: its members safe to unpack, its index
the one the hub announced, signed by the key the site trusts (installer/signer_pin.py), and every
file's digest (a differential bundle's left-out files where the site keeps them). It is unpacked
into a hidden folder beside the target and moved into place only once all of that holds; a
refused download leaves nothing behind, the tarball included, so the next try fetches it anew."""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path

from installer.bundle import Bundle, safe_extract
from installer.bundle.errors import BundleError
from installer.bundle.extract import check_members
from installer.bundle.index import INDEX_NAME
from installer.cluster_service.kept import site_base
from installer.errors import AirliftError
from installer.signer_pin import refuse_untrusted

Progress = Callable[[int, int], None]


def unpack_verified(tar_path: Path, target: Path, index_sha256: str, state_dir: Path, allow_other_signer: bool,
                    progress: Progress | None = None) -> Bundle:
    """Check `tar_path` and unpack it as `target` (`<name>-<version>`, the tarball's one folder);
    on any refusal the tarball and the half-unpacked folder are removed."""
    staging = target.with_name(f".{target.name}.unpacking")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _check_tarball(tar_path, target.name)
        staging.mkdir(parents=True)
        safe_extract(tar_path, staging)
        bundle = Bundle.open(staging / target.name, site_base(state_dir))
        _check_index(bundle, index_sha256)
        refuse_untrusted(bundle, state_dir, allow_other_signer)
        bundle.require_base()
        bundle.verify(progress)
    except AirliftError as e:
        shutil.rmtree(staging, ignore_errors=True)
        tar_path.unlink(missing_ok=True)
        raise _refused(tar_path, e) from None
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging / target.name, target)
    shutil.rmtree(staging, ignore_errors=True)
    tar_path.unlink(missing_ok=True)
    return Bundle.open(target, site_base(state_dir))


def _check_tarball(tar_path: Path, folder: str) -> None:
    try:
        with tarfile.open(tar_path, "r:") as tar:
            members = tar.getmembers()
    except (OSError, tarfile.TarError) as e:
        raise BundleError([f"{tar_path.name}: is not a readable tar file ({e})"]) from None
    problems = check_members(members)
    problems += [f"{m.name}: lies outside the folder {folder}/ the bundle unpacks to" for m in members
                 if m.name.removeprefix("./").split("/")[0] != folder]
    if problems:
        raise BundleError(problems)


def _check_index(bundle: Bundle, expected: str) -> None:
    got = hashlib.sha256((bundle.root / INDEX_NAME).read_bytes()).hexdigest()
    if got != expected:
        raise BundleError([f"{INDEX_NAME}: sha256 is {got}, the hub announced {expected}"])


def _refused(tar_path: Path, error: AirliftError) -> AirliftError:
    """The refusal, saying the download is gone; a signer refusal keeps its own hint (the flag)."""
    hint = ("run ./install update download again (a blob altered on the way or on the hub is fetched anew; if it "
            "is refused again, tell the hub's operator)") if isinstance(error, BundleError) else error.hint
    return AirliftError(f"The downloaded bundle {tar_path.name} was refused and removed: {error.message}",
                        details=error.details, hint=hint)
