"""The summary `./install remove` ends with, from the operation's events."""

from __future__ import annotations

import io

from rich.console import Console

from installer.cli.remove import print_summary
from installer.events import Event


def summary(events: list[Event]) -> str:
    out = io.StringIO()
    print_summary("node-3", events, Console(file=out, width=200))
    return out.getvalue()


def test_a_node_that_left_by_itself_is_as_before_the_install():
    text = summary([Event("log", "info", "Node node-3 drained", phase="/drain/node-3")])
    assert "Node node-3 was removed from the cluster. Its pods moved to the other nodes" in text
    assert "it is as before the install" in text and "uninstall --yes" not in text
    assert "./install status" in text


def test_a_forced_removal_says_what_was_skipped_and_how_to_clean_the_host():
    text = summary([
        Event("log", "warn", "Kubernetes could not drain node node-3; going on", phase="/drain/node-3"),
        Event("log", "warn", "Node node-3 did not leave by itself", phase="/leave/node-3",
              data={"clean_by_hand": "node-3"}),
    ])
    assert "It could not be drained" in text
    assert "on node-3, as root, run /var/lib/airlift/installer/install uninstall --yes" in text
    assert "as before the install" not in text
