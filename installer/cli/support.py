"""`./install support open [--ttl 4h] [--allow panel,kube,ssh]` and `./install support close`: the
site's operator grants the vendor a time-boxed way in through the hub (installer/support; the
control panel's Support screen calls the same installer.support.actions)."""

from __future__ import annotations

import argparse
import getpass
import os

from rich.console import Console

from installer.host import Host
from installer.statedir import StateDir
from installer.support.actions import close_support, open_support
from installer.support.grant import parse_allow, parse_ttl

from .commands import require_root, root, state_dir


def cmd_support(args: argparse.Namespace, console: Console) -> int:
    require_root("open or close a support session (it signs with the site's hub key)")
    paths = StateDir(state_dir(args))
    if args.support_action == "close":
        closed = close_support(paths, f"{_who()} (./install support close)")
        if closed.hub_not_told:
            console.print(f"The hub was not told ({closed.hub_not_told}); it ends the session at its TTL, and this "
                          "site no longer connects.", highlight=False, markup=False)
        console.print("Support session closed; the cluster service drops the tunnel within seconds." if closed.grant
                      else "No support session was open.", highlight=False)
        return 0
    allow, ttl = parse_allow(getattr(args, "allow", "panel")), parse_ttl(getattr(args, "ttl", "4h"))
    opened = open_support(paths, Host(root(args)), allow, ttl, _who())
    for node, fingerprint in opened.host_keys.items():
        console.print(f"{node}: SSH host key {fingerprint} (the vendor's ssh checks it)", highlight=False,
                      markup=False)
    console.print(f"Support session granted until {opened.grant.expires_at} UTC for {', '.join(opened.grant.allow)}: "
                  f"the cluster service (airlift-cluster) dials out to {opened.hub_url} now; ./install status shows "
                  "it, and ./install support close ends it.", highlight=False, markup=False)
    return 0


def _who() -> str:
    return os.environ.get("SUDO_USER") or getpass.getuser()
