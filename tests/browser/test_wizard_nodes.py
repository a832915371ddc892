"""The nodes screen for a cluster of several hosts: the exact join command per missing profile,
and a node appearing in the list as it joins (a real agent client over HTTPS)."""

from __future__ import annotations

import shlex

import pytest
import yaml
from playwright.sync_api import expect

from installer.node_agent.client import AgentClient
from tests.browser.flows import to_nodes
from tests.fixtures.net import free_port

pytestmark = pytest.mark.browser


def test_the_nodes_screen_shows_the_join_command_and_nodes_as_they_join(installer, pages, tmp_path):
    agent_port = free_port()
    answers = yaml.safe_load(installer.answers.read_text())
    installer.answers.write_text(yaml.safe_dump({**answers, "agent-port": agent_port}))
    page = pages.open(installer.start())
    nodes = to_nodes(page, "three")
    expect(page.locator("#node-rows tr")).to_have_count(1)
    help_text = page.locator("#join-help")
    expect(help_text).to_contain_text("also needs 2 worker node(s)")
    command = help_text.locator("code").first.inner_text()
    argv = shlex.split(command)
    assert argv[:3] == ["./install", "join", f"127.0.0.1:{agent_port}"] and argv[-2:] == ["--role", "worker"]
    token, fingerprint = argv[argv.index("--token") + 1], argv[argv.index("--fingerprint") + 1]
    pages.shot(page, "nodes-waiting")

    agent = AgentClient("127.0.0.1", agent_port, token, fingerprint, tmp_path / "agent")
    agent.call("join", {"hostname": "worker-a", "identity": "a" * 32, "address": "127.0.0.2", "role": "worker",
                        "fresh": True})
    expect(page.locator("#node-rows tr")).to_have_count(2)
    expect(nodes.locator("#node-rows")).to_contain_text("worker-a")
    expect(help_text).to_contain_text("also needs 1 worker node(s)")
    pages.shot(page, "nodes-joined")
    assert token not in (installer.state_dir / "events.jsonl").read_text()
