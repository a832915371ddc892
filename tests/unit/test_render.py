"""The terminal front-end's check lines: each names the node it ran on, since the checks of
several nodes run at once and their lines interleave."""

import io

from rich.console import Console

from installer.cli.render import TerminalRenderer
from installer.events import Event


def _render(*events: Event) -> list[str]:
    out = io.StringIO()
    renderer = TerminalRenderer(Console(file=out, width=200, color_system=None))
    for event in events:
        renderer(event)
    return out.getvalue().splitlines()


def check(node, status, check_id, message, hint=None):
    return Event("check", status, message, phase=f"/checks/{node}" if node else "/checks/network", node=node,
                 data={"id": check_id, "severity": "fail", **({"hint": hint} if hint else {})})


def test_interleaved_check_lines_each_name_their_node():
    lines = _render(check("node-2", "pass", "cpu", "2 CPUs"),
                    check("node-3", "fail", "cpu", "1 CPU", hint="add a CPU"),
                    check("node-2", "pass", "ram", "4 GB"))
    assert lines == ["  ✓ [node-2] cpu: 2 CPUs", "  ✗ [node-3] cpu: 1 CPU", "      add a CPU",
                     "  ✓ [node-2] ram: 4 GB"]


def test_a_check_across_nodes_names_no_single_node():
    assert _render(check(None, "pass", "network-ports", "Each of the 3 nodes reaches every other")) == \
        ["  ✓ network-ports: Each of the 3 nodes reaches every other"]
