"""`./install report [-o FILE]`: the support report, one redacted .tar.gz to send the vendor.

On the first master it holds the whole cluster: this host and Kubernetes directly, each other node
through its agent, which the cluster service (airlift-cluster) reaches with the admin token. A node
that does not answer in time is named in the report; a cluster service that does not answer
leaves this host's part and Kubernetes. On any other node it holds that node alone. The making is
installer.report.make.write_report, which the control panel's Support screen calls too.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from installer.checks.result import size
from installer.events import EventBus
from installer.host import Host
from installer.report.make import NODE_TIMEOUT_S, write_report

from .commands import require_root, root, state_dir
from .render import TerminalRenderer


def cmd_report(args: argparse.Namespace, console: Console) -> int:
    require_root("collect the support report (it reads the install's state and logs)")
    timeout = float(getattr(args, "timeout", None) or NODE_TIMEOUT_S)
    out = Path(getattr(args, "output", None) or ".")
    bus = EventBus()
    renderer = TerminalRenderer(console)
    bus.add_sink(renderer)
    try:
        written = write_report(Host(root(args)), state_dir(args), bus, out, timeout)
    finally:
        renderer.close()
    wrong = written.wrong
    console.print(f"[green]✓[/] Support report written to {written.path} ({size(written.size)}, readable by root "
                  "only); " + (f"[yellow]{wrong} thing(s) look wrong[/], listed in its summary.txt." if wrong
                               else "nothing looks wrong (its summary.txt says what was checked)."), highlight=False)
    console.print("Next: send this file to the vendor. It holds no token, password or private key: "
                  "redactions.txt inside lists what was removed, and from which file.", highlight=False)
    return 0
