"""`./install hub connect URL --token T [--fingerprint SHA256:…]` and `./install hub disconnect`:
the site's link to the vendor's hub (installer/hub_link), made and ended on the first master;
and `./install report --for-hub -o FILE`, the signed report an offline site carries out."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rich.console import Console

from installer import answers as answers_mod
from installer.errors import AirliftError
from installer.host import Host
from installer.hub_link.actions import connect, disconnect
from installer.hub_link.report_file import write_report
from installer.hub_link.transport import normalise_fingerprint, shown
from installer.plan import PlanStore
from installer.services import manager_for
from installer.statedir import StateDir

from .commands import require_root, root, state_dir

TOKEN_ENV = "AIRLIFT_HUB_TOKEN"


def cmd_hub(args: argparse.Namespace, console: Console) -> int:
    require_root("link this site with the vendor's hub (it keeps the site's key in the state directory)")
    folder = state_dir(args)
    if args.hub_action == "disconnect":
        url = disconnect(folder, local_only=getattr(args, "local_only", False))
        console.print(f"Disconnected from the hub at {url}; the site's key is removed." if url else
                      "This site was not connected to a hub; nothing to end there.", highlight=False, markup=False)
        return 0
    host = installed_host(folder, args)
    token = getattr(args, "token", None) or os.environ.get(TOKEN_ENV)
    if not token:
        raise AirliftError("./install hub connect needs an enroll token",
                           hint=f"give --token T (or set {TOKEN_ENV}); the hub's operator makes one with "
                                "python -m hub token create --scope enroll")
    given = getattr(args, "fingerprint", None)
    done = connect(folder, host, manager_for(host, folder), args.url, token,
                   normalise_fingerprint(given) if given else None, hub_interval(folder))
    pinned = "pinned (trusted on first use; compare it with the one the hub printed)" if done.pinned_now else \
        "pinned, as given"
    console.print(f"The hub's certificate {shown(done.link.fingerprint)} is {pinned}.", highlight=False,
                  markup=False, emoji=False)
    update = done.answer.get("update")
    console.print(f"Connected to {done.link.url} as {done.link.site_id} (channel {done.link.channel}); first "
                  f"check-in: {done.answer.get('state')}."
                  + (f" Update available: {update['version']}." if update else ""), highlight=False, markup=False)
    console.print("The cluster service (airlift-cluster) checks in from now on; ./install status shows the link.",
                  highlight=False)
    return 0


def cmd_report_for_hub(args: argparse.Namespace, console: Console) -> int:
    require_root("write the report for the hub (it signs with the site's key)")
    folder = state_dir(args)
    host = installed_host(folder, args)
    out = Path(getattr(args, "output", None) or "site.airlift").resolve()
    written = write_report(folder, host, manager_for(host, folder), out, hub_interval(folder))
    console.print(f"[green]✓[/] Report {written.seq} of {written.site_id} written to {written.path} "
                  f"({written.events} event(s) since the last one).", highlight=False)
    console.print("Next: carry it to the hub and upload it on its Sites page (or POST it to /api/v1/reports); "
                  "the site's page then names the bundle to carry back.", highlight=False)
    return 0


def installed_host(folder: Path, args: argparse.Namespace) -> Host:
    if PlanStore(folder).load() is None or not StateDir(folder).app_manifest.is_file():
        raise AirliftError(f"Nothing is installed with the state directory {folder}",
                           hint="run this on the first master of the install, with --state-dir if it used another")
    return Host(root(args))


def hub_interval(folder: Path) -> int:
    paths = StateDir(folder)
    answers = answers_mod.saved(paths.answers) if paths.answers.exists() else answers_mod.Answers()
    return int(answers.hub_interval)
