"""Tables and summaries the terminal prints: checks, the plan, status, the closing summary."""

from __future__ import annotations

import time

from rich.console import Console
from rich.table import Table

from installer.plan import Plan
from installer.statedir import StateDir

from .render import CHECK_MARKS, duration

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
        console.print(f"  {ep['name']}: {ep['url']}" + (f"  ({ep['description']})" if ep.get("description") else ""),
                      highlight=False)


def print_summary(snapshot: dict, console: Console) -> None:
    """The closing summary of a completed install."""
    b, a, op = snapshot["bundle"], snapshot["answers"], snapshot["operation"]
    took = duration((op.get("finished") or time.time()) - (op.get("started") or time.time()))
    console.print(f"\n[bold green]Installed {b['name']} {b['version']}[/] (flavor {a.get('flavor')}, "
                  f"node {snapshot['nodes'][0]['name']}, profile {a.get('profile')}) in {took}", highlight=False)
    _endpoint_lines(snapshot["endpoints"], console)
    console.print(f"Kubeconfig: {snapshot['kubeconfig']}", highlight=False)
    console.print(f"Answers saved to {snapshot['answers_file']} — replay with "
                  f"./install --cli --config {snapshot['answers_file']}", highlight=False)
    console.print(f"Event log: {StateDir(snapshot['state_dir']).events}", highlight=False)
    if snapshot.get("installer"):
        console.print("The installer is kept with the install; the bundle folder is no longer needed:\n"
                      f"  status:    {snapshot['installer']} status\n"
                      f"  uninstall: {snapshot['installer']} uninstall", highlight=False)


def print_status(status: dict, console: Console) -> bool:
    """Print where the install stands; True when everything is installed and healthy."""
    plan = Plan.from_dict(status["plan"])
    console.print(plan_table(plan))
    registry, runtime = status["registry"], status["runtime"]
    checks = [("registry answering", registry["answering"], registry["url"])]
    if registry.get("images") is not None:
        images = registry["images"]
        checks.append((f"registry serves all {images['count']} image(s) of the bundle", not images["problems"],
                       "; ".join(images["problems"][:3])))
    checks.append(("k3s running", bool(runtime.get("running")),
                   f"({runtime['k3s_version']}, carried by the bundle)" if runtime.get("k3s_version") else ""))
    for node in runtime.get("nodes", []):
        checks.append((f"node {node.get('name')} Ready", bool(node.get("ready")), ""))
    if status["cluster"]["service"] is not None:
        checks.append(("cluster service running (nodes join and leave through it)", status["cluster"]["service"],
                       ""))
    for name, ok, extra in checks:
        console.print(f"  {'[green]✓[/]' if ok else '[red]✗[/]'} {name} {extra}", highlight=False)
    _endpoint_lines(status["endpoints"], console)
    _cluster_lines(status["cluster"], console)
    return plan.state == "completed" and all(ok for _, ok, _ in checks)


def _cluster_lines(cluster: dict, console: Console) -> None:
    """The nodes besides this one, the day-2 operations, and how to add a node."""
    if cluster["nodes"]:
        console.print("Other nodes:")
    for node in cluster["nodes"]:
        console.print(f"  {node['name']} ({node['profile']}, {node['address']})", highlight=False)
    if cluster["operations"]:
        console.print("Operations after the install:")
    for op in cluster["operations"]:
        console.print(f"  {op['id']}: {op['kind']} {op['node']}: {op['state']}", highlight=False)
    if cluster["join"]:
        console.print("To add a node, run on it, as root, from the unpacked bundle:", highlight=False)
        for profile, command in cluster["join"].items():
            # No markup or emoji: a fingerprint holds text like ":CD:", which rich would draw as 💿.
            console.print(f"  {profile}:  {command}", highlight=False, soft_wrap=True, markup=False, emoji=False)
