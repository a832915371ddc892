"""Phases /previous, /installer and /gc of an upgrade, and /installer of a rollback: which
version the state directory keeps as installed, which one as previous, and which image blobs.

    /distribute/<node>  (upgrade) the node receives the new runtime and the new installer (bin/)
    /previous   (upgrade) the installed version is copied to `<state>/previous/` for a rollback
    /installer  (upgrade) every other node keeps the new installer (its agent restarts with it),
                then this node: the new installer is kept, and the new bundle index and manifest
                become `<state>/bundle` (its runtime goes into the blob store for nodes joining
                later); the cluster service starts with them once the run ends
                (installer/upgrade/run.py)
    /installer  (rollback) the same with the previous installer and bundle index
    /gc         (upgrade) image blobs and runtime files of neither version are deleted, here and
                on every other node

The agents reconnect to this process until the run ends, then to the restarted cluster service.
Every phase is safe to run twice.
"""

from __future__ import annotations

import os
import shutil

from installer.bundle import Bundle
from installer.cluster_service.kept import blob_store, keep_bundle
from installer.installer_copy import FROZEN_DIR, keep_installer
from installer.phases import remote
from installer.phases.inputs import PhaseInputs
from installer.registry.gc import collect
from installer.services.names import CONTROLLER, PANEL
from installer.statedir import StateDir
from installer.transfer.bundle_share import NODE_PREFIXES
from installer.upgrade.versions import keep_previous, kept_digests, previous_bundle

RUNTIME_DIR = "runtime"
INSTALLER_TIMEOUT_S = 600
PRUNE_TIMEOUT_S = 300


def distribute(ctx: PhaseInputs, node: str) -> None:
    remote.distribute(ctx, node, [*NODE_PREFIXES, FROZEN_DIR])


def previous(ctx: PhaseInputs) -> None:
    keep_previous(ctx.host, ctx.state_dir)
    ctx.bus.log_line(f"The installed version is kept in {StateDir(ctx.state_dir).previous} for a rollback",
                     phase="/previous")


def upgrade_installer(ctx: PhaseInputs) -> None:
    paths = StateDir(ctx.state_dir)
    _other_nodes_installer(ctx, "bundle")
    kept = keep_installer(ctx.host, ctx.state_dir, ctx.bundle.version)
    keep_bundle(ctx.bundle, ctx.state_dir)
    ctx.bus.log_line(f"Installer {ctx.bundle.version} kept as {kept}, its bundle index in {paths.bundle}; "
                     f"services {CONTROLLER} and {PANEL} start with them when the upgrade ends", phase="/installer")


def rollback_installer(ctx: PhaseInputs) -> None:
    paths = StateDir(ctx.state_dir)
    _other_nodes_installer(ctx, "previous")
    # The runtime files a rollback laid out in the previous bundle stay in the blob store only.
    for source, target, skip in ((paths.previous_installer, paths.installer, ()),
                                 (paths.previous_bundle, paths.bundle, (RUNTIME_DIR,))):
        stage = target.with_name(f".{target.name}.back")
        ctx.host.remove(stage)
        shutil.copytree(source, stage, symlinks=True, ignore=shutil.ignore_patterns(*skip))
        ctx.host.remove(target)
        os.replace(stage, target)
    ctx.bus.log_line(f"The installer and bundle index of {ctx.bundle.version} are back in {paths.root}; "
                     f"services {CONTROLLER} and {PANEL} start with them when the rollback ends", phase="/installer")


def _on_other_nodes(ctx: PhaseInputs, task: str, args: dict, timeout: float) -> dict[str, dict]:
    """Run an agent task on every node but this one, in turn; each node's result data."""
    hub = ctx.agents
    if hub is None:
        return {}
    return {n.name: hub.run(n.name, task, args, timeout) for n in hub.nodes.nodes() if n.name != ctx.node}


def _other_nodes_installer(ctx: PhaseInputs, source: str) -> None:
    """Every other node keeps the installer of `ctx.bundle`'s version, from the bundle it received
    (`source` "bundle") or its previous copy ("previous"); its agent then restarts with it."""
    args = {"phase": "/installer", "version": ctx.bundle.version, "source": source}
    _on_other_nodes(ctx, "installer", args, INSTALLER_TIMEOUT_S)


def gc(ctx: PhaseInputs) -> None:
    paths = StateDir(ctx.state_dir)
    kept = [Bundle.open(paths.bundle), previous_bundle(ctx.state_dir)]
    freed = collect(ctx.registry.storage, [i.digest for b in kept for i in b.images()])
    runtime = set().union(*(kept_digests(b) for b in kept))
    freed += blob_store(ctx.state_dir).prune(runtime)
    pruned = _on_other_nodes(ctx, "prune", {"phase": "/gc", "keep": sorted(runtime)}, PRUNE_TIMEOUT_S)
    for node, data in pruned.items():
        ctx.bus.log_line(f"Node {node}: {data.get('freed', 0)} bytes of older runtimes and installers deleted",
                         phase="/gc")
    ctx.bus.log_line(f"{freed} bytes of versions older than {kept[1].version} deleted; {kept[0].version} and "
                     f"{kept[1].version} stay", phase="/gc")
