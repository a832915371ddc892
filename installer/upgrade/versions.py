"""The two versions an upgrade moves between, as the state directory keeps them.

    <state>/bundle, <state>/app, <state>/installer   the installed version (the new one once
                                                      an upgrade's /installer phase ran)
    <state>/previous/{bundle,app,installer}           the version before the last upgrade, kept by
                                                      its /previous phase for `./install rollback`
    <state>/operations/<upgrade>/target/              the new version's manifest and resources, as
                                                      the upgrade began: a rollback reads its
                                                      rollback hook and the resources it added

The runtime files of both versions stay in the blob store `<state>/blobs` (keyed by sha256 in
their bundle index), so the previous runtime can be laid out again for a rollback.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

from installer.app_documents import RESOURCES_FILE, application_documents, load_documents
from installer.bundle import Bundle
from installer.cluster_service.kept import KEPT_RUNTIME, blob_store, site_base
from installer.errors import AirliftError
from installer.host import Host
from installer.manifest import Manifest, load_manifest
from installer.statedir import StateDir
from installer.transfer.bundle_share import NODE_PREFIXES, place, shared_files
from installer.upgrade.record import UpgradeRecord

MANIFEST = "app.yaml"


def keep_previous(host: Host, state_dir: Path) -> None:
    """Copy the installed version's bundle part, resources and installer to `<state>/previous/`
    (gathered beside it and renamed, so a crash never leaves half of it). Safe to run twice: the
    installed version changes only in the upgrade's later /installer phase."""
    paths = StateDir(state_dir)
    stage = paths.previous_stage
    host.remove(stage)
    for source, name in ((paths.bundle, "bundle"), (paths.app, "app"), (paths.installer, "installer")):
        if not source.is_dir():
            raise AirliftError(f"The installed version has no {source}, so it could not be rolled back to",
                               hint="finish the install first (./install --resume from its bundle)")
        shutil.copytree(source, stage / name, symlinks=True)
    host.remove(paths.previous)
    os.replace(stage, paths.previous)


def keep_target(host: Host, bundle: Bundle, manifest: Manifest, target: Path) -> None:
    """The new version's manifest and resources in the upgrade's folder (read by a rollback)."""
    with bundle.open_file(MANIFEST) as f:
        host.write_file(target / MANIFEST, f.read())
    docs = application_documents(bundle, manifest)
    host.write_file(target / RESOURCES_FILE, yaml.safe_dump_all(docs, sort_keys=False))


def target_of(state_dir: Path, record: UpgradeRecord) -> Path:
    """The target folder of `record`'s upgrade (a rollback names the upgrade it takes back)."""
    return StateDir(state_dir).operation(record.upgrade or record.id).target


def target_manifest(state_dir: Path, record: UpgradeRecord) -> Manifest:
    return load_manifest(target_of(state_dir, record) / MANIFEST)


def target_documents(state_dir: Path, record: UpgradeRecord) -> list[dict]:
    return load_documents(target_of(state_dir, record))


def previous_bundle(state_dir: Path) -> Bundle:
    """The previous version's kept bundle part (reading its runtime and image blobs where the site
    keeps them); AirliftError when no upgrade kept one."""
    folder = StateDir(state_dir).previous_bundle
    if not (folder / "index.json").is_file():
        raise AirliftError(f"No previous version is kept in {folder.parent}, so there is nothing to roll back to",
                           hint="./install rollback goes back only to the version before an upgrade")
    return Bundle.open(folder, site_base(state_dir))


def with_runtime(bundle: Bundle, state_dir: Path) -> Bundle:
    """`bundle` (a kept one) with its runtime files laid out again from the blob store, so it can
    be installed on this node and shared with the others."""
    store = blob_store(state_dir)
    files = shared_files(bundle, NODE_PREFIXES)
    missing = [f.stored_path for f in files if not store.has(f.sha256)]
    if missing:
        raise AirliftError(f"The runtime of {bundle.name} {bundle.version} is missing from {store.root}: "
                           f"{', '.join(missing)}",
                           hint="restore the state directory from a backup, or upgrade again with that "
                                "version's bundle (./install upgrade from it)")
    place(store, files, bundle.root)
    return bundle


def runtime_digests(bundle: Bundle) -> set[str]:
    """The stored sha256 of every runtime file a node runs (k3s), as a bundle index names them."""
    return {f.sha256 for f in shared_files(bundle, NODE_PREFIXES)}


def kept_digests(bundle: Bundle) -> set[str]:
    """The stored sha256 of every runtime file the site keeps in its blob store for a version."""
    return {f.sha256 for f in shared_files(bundle, KEPT_RUNTIME)}
