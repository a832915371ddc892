"""Tables and summaries the terminal prints: checks, the plan, status, the closing summary."""

from __future__ import annotations

import time

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from installer.plan import Plan
from installer.statedir import StateDir
from installer.status.health import ALERT_REASON
from installer.support.grant import status_line

from .render import CHECK_MARKS, duration

HEALTH_STYLES = {"healthy": "green", "degraded": "yellow", "down": "red"}
STATE_STYLES = {"completed": "green", "failed": "red", "in_progress": "cyan", "unstarted": "dim",
                "rolled_back": "yellow"}


def checks_table(results: list) -> Table:
    table = Table(title="Host checks", show_lines=False)
    for column in ("", "check", "result", "what to do"):
        table.add_column(column, overflow="fold")
    for r in results:
        table.add_row(CHECK_MARKS.get(r.status, r.status), r.id, r.message, r.hint or "")
    return table


def plan_table(plan: Plan) -> Table:
    table = Table(title=f"Plan: {plan.operation} ({plan.state})")
    for column in ("phase", "description", "requires", "node", "state"):
        table.add_column(column, overflow="fold")
    for p in plan.phases:
        style = STATE_STYLES.get(p.state, "")
        state = f"[{style}]{p.state}[/]" if style else p.state
        if p.error:
            state += f"\n{p.error.get('message', '')}"
        table.add_row(p.id, p.description, ", ".join(p.requires), p.node or "", state)
    return table


def _endpoint_lines(endpoints: list[dict], console: Console) -> None:
    if not endpoints:
        return
    console.print("Endpoints:")
    for ep in endpoints:
        _whole(console, f"  {ep['name']}: {ep['url']}" + (f"  ({ep['description']})" if ep.get("description") else ""))


def print_summary(snapshot: dict, console: Console) -> None:
    """The closing summary of a completed install. Lines holding a path or a command the operator
    copies are never broken at the console's width (soft_wrap): a command split over two lines
    runs as two commands when pasted, and a log keeps it whole."""
    b, a, op = snapshot["bundle"], snapshot["answers"], snapshot["operation"]
    took = duration((op.get("finished") or time.time()) - (op.get("started") or time.time()))
    console.print(f"\n[bold green]Installed {b['name']} {b['version']}[/] (flavor {a.get('flavor')}, "
                  f"node {snapshot['nodes'][0]['name']}, profile {a.get('profile')}) in {took}", highlight=False)
    _endpoint_lines(snapshot["endpoints"], console)
    _whole(console, f"Kubeconfig: {snapshot['kubeconfig']}")
    _whole(console, f"Answers saved to {snapshot['answers_file']} — replay with "
                    f"./install --cli --config {snapshot['answers_file']}")
    _whole(console, f"Event log: {StateDir(snapshot['state_dir']).events}")
    if snapshot.get("installer"):
        console.print("The installer is kept with the install; the bundle folder is no longer needed:")
        _whole(console, f"  status:    {snapshot['installer']} status")
        _whole(console, f"  uninstall: {snapshot['installer']} uninstall")


def _whole(console: Console, line: str) -> None:
    console.print(line, highlight=False, soft_wrap=True)


def print_status(status: dict, console: Console) -> bool:
    """Print what is installed and how it stands (installer.status.install builds `status`);
    True when everything is installed and healthy."""
    app, runtime = status["app"], status["runtime"]
    if app["name"]:
        console.print(f"[bold]{app['name']} {app['version']}[/] on k3s {runtime['version'] or '(version unknown)'}, "
                      f"Airlift {status['installer']['version'] or '(version unknown)'}", highlight=False)
    console.print(plan_table(Plan.from_dict(status["plan"])))
    for check in status["health"]:
        mark = "[green]✓[/]" if check["ok"] else "[red]✗[/]"
        console.print(f"  {mark} {check['check']} {check['detail']}", highlight=False, emoji=False)
    _health_lines(status, console)
    _licence_line(status.get("licence"), app["name"], console)
    _hub_line(status.get("hub"), console)
    line = status_line(status.get("support"))
    if line:
        console.print(line, highlight=False, markup=False)
    _endpoint_lines(status["endpoints"], console)
    _cluster_lines(status, console)
    if (status.get("panel") or {}).get("running") is not None:
        console.print(f"Control panel: {status['panel']['url']}  (sign in with its admin password, or run "
                      "./install panel-link on this host for a one-time link)", highlight=False, soft_wrap=True)
    return bool(status["healthy"])


def _health_lines(status: dict, console: Console) -> None:
    """The one word, with why (the alerts firing among the reasons); a failing status hook's last
    log lines below it."""
    word = status["condition"]
    console.print(f"Health: [{HEALTH_STYLES[word]}]{word}[/]", highlight=False)
    for reason in status["reasons"]:
        if not reason.startswith(ALERT_REASON):
            console.print(f"  {reason}", highlight=False, markup=False, emoji=False)
    alerts = (status.get("monitoring") or {}).get("alerts") or []
    if alerts:
        console.print("Alerts firing:")
    for alert in alerts:
        where = f" on {alert['node']}" if alert["node"] else ""
        console.print(f"  {alert['name']}{where} ({alert['severity']}): {alert['summary']}",
                      highlight=False, markup=False, emoji=False)
    hook = status.get("status_hook")
    if hook is not None and not hook["ok"] and hook["last"] and hook["last"]["log"]:
        console.print(f"Last log lines of the status hook (job {hook['last']['job']}):", highlight=False)
        for line in hook["last"]["log"]:
            console.print(f"  | {line}", highlight=False, markup=False, emoji=False)


def _installer(node: dict) -> str:
    """"0.1.0 (hello 1.1.0)": Airlift's version, and the application version it came with."""
    version = node["installer_version"] or "not reported"
    return f"{version} (of {node['app_version']})" if node.get("app_version") else version


def _licence_line(licence: dict | None, app: str | None, console: Console) -> None:
    """Who the site is licensed to, nodes used of those allowed, and until when; an expired
    licence is said plainly (the application keeps running; upgrades are refused)."""
    if licence is None:
        return
    if "error" in licence:
        console.print(f"  [red]✗[/] licence cannot be checked: {escape(licence['error'])}", highlight=False, emoji=False)
        return
    what = (f"licence {licence['id']} for {licence['customer']}: {licence['nodes']} of {licence['max_nodes']} "
            f"node(s) in use, ")
    if licence["expired"]:
        console.print(f"  [yellow]![/] {escape(what)}[yellow]expired on {licence['expires']}[/]: {app or 'the application'} "
                      "keeps running, but upgrades are refused until a new licence is applied "
                      "(./install licence apply FILE)", highlight=False, emoji=False)
        return
    console.print(f"  [green]✓[/] {escape(what)}valid through {licence['expires']}", highlight=False, emoji=False)


def _hub_line(hub: dict | None, console: Console) -> None:
    """The link with the vendor's hub: where, how the last check-in went, the update it named."""
    if hub is None:
        return
    if hub["url"] is None:
        report = hub.get("last_report") or {}
        console.print(f"Hub: not connected; last report file {report.get('at', 'none')}", highlight=False,
                      markup=False)
        return
    last = hub.get("last_check_in")
    if hub["disconnected_by_hub"]:
        result = "the hub disconnected this site (./install hub disconnect, then connect again)"
    elif last is None:
        result = "no check-in yet"
    elif last["ok"]:
        result = f"last check-in {last['at']}: {last['state']}"
    else:
        result = f"last check-in {last['at']} failed: {last['error']}"
    console.print(f"Hub: {hub['url']} as {hub['site_id']} (channel {hub['channel']}), {result}"
                  f"{update_text(hub.get('update'), hub.get('downloaded'))}", highlight=False, markup=False, emoji=False)


def update_text(update: dict | None, downloaded: dict | None) -> str:
    """"; update available: 1.2.0 (required)", and whether the release to install next is
    downloaded (./install update download, or the background download)."""
    if not update:
        return ""
    text = f"; update available: {update['version']}"
    if update.get("via"):
        text += f" (required {update['via']} first)"
    elif update.get("required"):
        text += " (required)"
    target = update.get("via") or update["version"]
    if downloaded and downloaded.get("version") == target:
        text += f"; {target} is downloaded, ready to install: cd {downloaded['folder']} && ./install upgrade"
    else:
        text += " (./install update download)"
    return text


def _cluster_lines(status: dict, console: Console) -> None:
    """The nodes with the versions they run, the day-2 operations, and how to add a node."""
    if len(status["nodes"]) > 1:
        console.print("Nodes:")
        for node in status["nodes"]:
            first = ", first master" if node["first"] else ""
            console.print(f"  {node['name']} ({node['profile']}{first}, {node['address']}): "
                          f"installer {_installer(node)}, "
                          f"k3s {node['runtime_version'] or 'not reported'}", highlight=False, markup=False)
    if status["operations"]:
        console.print("Operations after the install:")
    for op in status["operations"]:
        console.print(f"  {op['id']}: {op['kind']} {op['node']}: {op['state']}", highlight=False)
    if status["join"]:
        console.print("To add a node, run on it, as root, from the unpacked bundle:", highlight=False)
        for profile, command in status["join"].items():
            # No markup or emoji: a fingerprint holds text like ":CD:", which rich would draw as 💿.
            console.print(f"  {profile}:  {command}", highlight=False, soft_wrap=True, markup=False, emoji=False)
