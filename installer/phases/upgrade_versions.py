"""Phases /previous, /installer and /gc of an upgrade, and /installer of a rollback: which
version the state directory keeps as installed, which one as previous, and which image blobs.

    /previous   (upgrade) the installed version is copied to `<state>/previous/` for a rollback
    /installer  (upgrade) the new installer is kept, the new bundle index and manifest become
                `<state>/bundle` (its runtime goes into the blob store for nodes joining later),
                and the cluster service restarts with them
    /installer  (rollback) the previous installer and bundle index are put back, and the cluster
                service restarts with them
    /gc         (upgrade) image blobs and runtime files of neither version are deleted

Agents on the other nodes keep running the installer they kept; they reconnect to the restarted
cluster service. Every phase is safe to run twice.
"""

from __future__ import annotations

import os
import shutil

from installer.bundle import Bundle
from installer.cluster_service import service
from installer.cluster_service.kept import blob_store, keep_bundle
from installer.installer_copy import keep_installer
from installer.phases.inputs import PhaseInputs
from installer.registry.gc import collect
from installer.services.names import CONTROLLER, PANEL
from installer.statedir import StateDir
from installer.upgrade.versions import keep_previous, kept_digests, previous_bundle

RUNTIME_DIR = "runtime"


def previous(ctx: PhaseInputs) -> None:
    keep_previous(ctx.host, ctx.state_dir)
    ctx.bus.log_line(f"The installed version is kept in {StateDir(ctx.state_dir).previous} for a rollback",
                     phase="/previous")


def upgrade_installer(ctx: PhaseInputs) -> None:
    paths = StateDir(ctx.state_dir)
    kept = keep_installer(ctx.host, ctx.state_dir)
    keep_bundle(ctx.bundle, ctx.state_dir)
    ctx.bus.log_line(f"Installer {ctx.bundle.version} kept as {kept}, its bundle index in {paths.bundle}",
                     phase="/installer")
    _restart_cluster_service(ctx)


def rollback_installer(ctx: PhaseInputs) -> None:
    paths = StateDir(ctx.state_dir)
    # The runtime files a rollback laid out in the previous bundle stay in the blob store only.
    for source, target, skip in ((paths.previous_installer, paths.installer, ()),
                                 (paths.previous_bundle, paths.bundle, (RUNTIME_DIR,))):
        stage = target.with_name(f".{target.name}.back")
        ctx.host.remove(stage)
        shutil.copytree(source, stage, symlinks=True, ignore=shutil.ignore_patterns(*skip))
        ctx.host.remove(target)
        os.replace(stage, target)
    ctx.bus.log_line(f"The installer and bundle index of {ctx.bundle.version} are back in {paths.root}",
                     phase="/installer")
    _restart_cluster_service(ctx)


def _restart_cluster_service(ctx: PhaseInputs) -> None:
    service.start_day_two(ctx.services, ctx.host, ctx.state_dir)
    ctx.bus.log_line(f"Services {CONTROLLER} and {PANEL} restarted with the installer now kept; the other "
                     "nodes' agents reconnect to it", phase="/installer")


def gc(ctx: PhaseInputs) -> None:
    paths = StateDir(ctx.state_dir)
    kept = [Bundle.open(paths.bundle), previous_bundle(ctx.state_dir)]
    freed = collect(ctx.registry.storage, [i.digest for b in kept for i in b.images()])
    store = blob_store(ctx.state_dir)
    runtime = set().union(*(kept_digests(b) for b in kept))
    for digest in store.digests():
        if digest not in runtime:
            freed += store.path(digest).stat().st_size
            ctx.host.remove(store.path(digest))
    ctx.bus.log_line(f"{freed} bytes of versions older than {kept[1].version} deleted; {kept[0].version} and "
                     f"{kept[1].version} stay", phase="/gc")
