"""The agent task `installer`: an upgrade's (or a rollback's) /installer phase on another node.

The node's kept installer (`<state>/installer/`) runs its services' supervisor, `uninstall` and
this very agent. An upgrade lays out the new installer its /distribute phase brought (the
bundle's bin/) and keeps the old one in `<state>/previous/installer/`; a rollback puts that one
back. Once the first master has the answer, the agent exits and its service starts it again from
the kept installer now in place, so the node runs the version it was moved to (and reports it).

Each step is a rename, and the version file inside each copy says which version it is, so the
task run again after a crash carries on from wherever it stopped and never loses the old copy.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from installer.bundle import Bundle, FolderBase
from installer.errors import AirliftError
from installer.installer_copy import FROZEN_DIR, kept_version, stage_from_bundle
from installer.statedir import StateDir

if TYPE_CHECKING:
    from installer.node_agent.tasks import AgentContext


def installer(ctx: AgentContext, args: dict) -> dict:
    """Move this node's kept installer to version args["version"]: from the bundle it received
    (args["source"] == "bundle", an upgrade) or back from the previous copy ("previous", a
    rollback). Restart the agent when the installer changed."""
    version, phase = str(args["version"]), args["phase"]
    paths = StateDir(ctx.state_dir)
    if kept_version(paths.installer) == version:
        ctx.bus.log_line(f"Node {ctx.node} already keeps the installer of {version}", phase=phase)
        return {"changed": False}
    if args["source"] == "previous":
        _restore_previous(ctx, version)
    else:
        _lay_out_new(ctx, version)
        ctx.host.remove(ctx.bundle_dir / FROZEN_DIR)  # laid out; the received copy is not needed
    ctx.bus.log_line(f"Node {ctx.node} keeps the installer of {version}; its agent restarts with it", phase=phase)
    ctx.restart = True
    return {"changed": True}


def _lay_out_new(ctx: AgentContext, version: str) -> None:
    paths = StateDir(ctx.state_dir)
    bundle = Bundle.open(ctx.bundle_dir, FolderBase(ctx.bundle_dir))
    if bundle.version != version:
        raise AirliftError(f"Node {ctx.node} holds the bundle index of {bundle.version}, not {version}",
                           hint="run the upgrade again: its /distribute phase sends this node the new version first")
    stage = stage_from_bundle(ctx.host, ctx.state_dir, bundle)
    if paths.installer.is_dir():  # absent only when a crash came between the two renames
        ctx.host.remove(paths.previous_installer)
        paths.previous.mkdir(parents=True, exist_ok=True)
        os.replace(paths.installer, paths.previous_installer)
    os.replace(stage, paths.installer)


def _restore_previous(ctx: AgentContext, version: str) -> None:
    paths = StateDir(ctx.state_dir)
    kept = kept_version(paths.previous_installer)
    if kept != version:
        found = f"the installer of {kept}" if kept else "no previous installer"
        raise AirliftError(f"Node {ctx.node} keeps {found} in {paths.previous_installer}, not that of {version}",
                           hint=f"copy the {version} bundle to {ctx.node} and run its ./install join command "
                                "there, or remove the node and add it again")
    ctx.host.remove(paths.installer)
    os.replace(paths.previous_installer, paths.installer)
