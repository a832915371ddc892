"""`./install support open [--ttl 4h] [--allow panel,kube,ssh]` and `./install support close`: the
site's operator grants the vendor a time-boxed way in through the hub (installer/support)."""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import os

from rich.console import Console

from installer import answers as answers_mod
from installer.errors import AirliftError
from installer.host import Host
from installer.hub_link.link import read_link
from installer.hub_link.transport import HubRefused, HubUnreachable
from installer.statedir import StateDir
from installer.support import node_ssh
from installer.support.cluster_ca import cluster_ca
from installer.support.grant import close_grant, default_targets, open_grant, parse_allow, parse_ttl
from installer.support.tunnel import close_session

from .commands import require_root, root, state_dir


def cmd_support(args: argparse.Namespace, console: Console) -> int:
    require_root("open or close a support session (it signs with the site's hub key)")
    paths = StateDir(state_dir(args))
    link = read_link(paths)
    if args.support_action == "close":
        grant = close_grant(paths, f"closed by {_who()} (./install support close)")
        if link is not None:
            try:
                close_session(paths, link)
            except (HubRefused, HubUnreachable) as e:
                console.print(f"The hub was not told ({e.message}); it ends the session at its TTL, and this "
                              "site no longer connects.", highlight=False, markup=False)
        console.print("Support session closed; the cluster service drops the tunnel within seconds." if grant else
                      "No support session was open.", highlight=False)
        return 0
    if link is None:
        raise AirliftError("This site is not connected to a hub, so support cannot go through one",
                           hint="./install hub connect URL --token T first")
    allow, ttl = parse_allow(getattr(args, "allow", "panel")), parse_ttl(getattr(args, "ttl", "4h"))
    answers = answers_mod.saved(paths.answers) if paths.answers.exists() else answers_mod.Answers()
    allow, ssh_targets = node_ssh.expand(paths, allow)
    kube_ca = cluster_ca(Host(root(args))) if "kube" in allow else None
    keys = node_ssh.host_keys(paths, ssh_targets)
    for service, key in keys.items():
        console.print(f"{service[4:]}: SSH host key {_fingerprint(key)} (the vendor's ssh checks it)",
                      highlight=False, markup=False)
    grant = open_grant(paths, allow, ttl, default_targets(answers.panel_port, answers.api_port) | ssh_targets,
                       _who(), kube_ca=kube_ca, host_keys=keys)
    console.print(f"Support session granted until {grant.expires_at} UTC for {', '.join(allow)}: the cluster "
                  f"service (airlift-cluster) dials out to {link.url} now; ./install status shows it, and "
                  "./install support close ends it.", highlight=False, markup=False)
    return 0


def _fingerprint(key_line: str) -> str:
    digest = hashlib.sha256(base64.b64decode(key_line.split()[1])).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _who() -> str:
    return os.environ.get("SUDO_USER") or getpass.getuser()
