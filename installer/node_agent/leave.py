"""The agent task `leave`: this node leaves the cluster and ends as it was before the install.

k3s is stopped and removed first, while the cluster controller waits: a k3s agent still running
would register its node again after the controller deletes it. The rest (the node's own
`airlift-agent` service, which runs this very agent, the volume folders, the state folder) is
removed by `install uninstall` in a detached process of its own session, started once the
controller has the answer, so stopping the agent's service cannot cut the uninstall short.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from installer.host import Host
from installer.installer_copy import kept_launcher
from installer.runtime import K3sRuntime

if TYPE_CHECKING:
    from installer.node_agent.tasks import AgentContext


def leave(ctx: AgentContext, args: dict) -> dict:
    """Remove k3s now; uninstall the rest after the answer has reached the controller."""
    K3sRuntime(ctx.host, ctx.services, ctx.state_dir).uninstall()
    ctx.bus.log_line(f"k3s stopped and removed from {ctx.node}", phase=args["phase"])
    ctx.after_answer.append(lambda: start_uninstall(ctx.host, ctx.state_dir))
    return {}


def uninstall_command(host: Host, state_dir: Path) -> list[str]:
    """`install uninstall` for this node: the installer kept in its state folder, else this one."""
    kept = kept_launcher(state_dir)
    if kept is not None:
        program = [str(kept)]
    elif getattr(sys, "frozen", False):
        program = [sys.executable]
    else:
        program = [sys.executable, "-m", "installer"]
    return [*program, "uninstall", "--yes", "--state-dir", str(state_dir), "--root", str(host.root)]


def start_uninstall(host: Host, state_dir: Path) -> subprocess.Popen:
    """Start the uninstall detached (own session, no terminal). Its output goes where the agent's
    does: the journal under systemd; under Airlift's supervisor the service log, removed with the
    service. Should it fail, what it left is still there and `install uninstall` run by hand says why."""
    env = dict(os.environ)
    if not getattr(sys, "frozen", False):
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return subprocess.Popen(uninstall_command(host, state_dir), stdin=subprocess.DEVNULL, env=env,
                            start_new_session=True, close_fds=True, cwd="/")
