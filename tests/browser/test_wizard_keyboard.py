"""The wizard for keyboard and screen-reader users: the settings screen suggests this host's
addresses, a confirmation traps focus and closes on Escape, and the log's node tabs are real
tabs moved with the arrow keys."""

from __future__ import annotations

import shlex

import pytest
import yaml
from playwright.sync_api import Page, expect

from installer.node_agent.client import AgentClient
from tests.browser.flows import screen, to_checks, to_nodes
from tests.fixtures.net import free_port

pytestmark = pytest.mark.browser

FOCUSED_ID = "document.activeElement && document.activeElement.id"


def test_the_settings_screen_suggests_this_hosts_addresses(installer, pages):
    page = pages.open(installer.start())
    to_nodes(page, "one")
    page.locator("#screen-nodes [data-next]").click()
    screen(page, "settings")
    network = page.evaluate("fetch('/api/snapshot').then((r) => r.json()).then((s) => s.network)")
    assert network["addresses"] and "127.0.0.1" not in network["addresses"]  # only what other hosts reach
    options = page.locator("#host-addresses option")
    expect(options).not_to_have_count(0)
    suggested = [options.nth(i).get_attribute("value") for i in range(options.count())]
    assert set(suggested) == set(network["addresses"]) | ({network["default"]} - {None})
    if network["default"]:
        assert suggested[0] == network["default"]
        expect(page.locator("#host-addresses-list")).to_contain_text(f"{network['default']} (default route)")
    expect(page.locator("#host-addresses-list")).to_contain_text(network["addresses"][-1])
    pages.shot(page, "settings-suggestions")


def test_a_confirmation_keeps_focus_inside_and_closes_on_escape(installer, pages):
    page = pages.open(installer.start())
    to_checks(page)
    page.get_by_text("Skip a check by name").click()
    page.get_by_label("Check name").fill("swap")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#skip-yes")).to_be_focused()
    visited = []
    for key in ("Tab", "Tab", "Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab"):
        page.keyboard.press(key)
        visited.append(page.evaluate(FOCUSED_ID))
    assert visited == ["skip-no", "skip-yes", "skip-no", "skip-yes", "skip-no", "skip-yes"]
    pages.shot(page, "dialog-open")

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#skip-id")).to_be_focused()  # back where the operator was
    expect(page.locator("#skipped-list")).to_have_text("process-k3s")  # Escape is Cancel: only the fixture's


def join(installer, tmp_path, command: str, name: str, address: str) -> None:
    argv = shlex.split(command)
    token, fingerprint = argv[argv.index("--token") + 1], argv[argv.index("--fingerprint") + 1]
    agent = AgentClient("127.0.0.1", int(argv[2].rsplit(":", 1)[1]), token, fingerprint, tmp_path / name)
    agent.call("join", {"hostname": name, "identity": name[-1] * 32, "address": address, "role": "worker",
                        "fresh": True})


def selected_tab(page: Page):
    return page.locator("#log-tabs [role=tab][aria-selected=true]")


def test_arrow_keys_move_between_the_log_tabs(installer, pages, tmp_path):
    answers = yaml.safe_load(installer.answers.read_text())
    installer.answers.write_text(yaml.safe_dump({**answers, "agent-port": free_port()}))
    page = pages.open(installer.start())
    to_nodes(page, "three")
    command = page.locator("#join-help code").first.inner_text()
    join(installer, tmp_path, command, "worker-a", "127.0.0.2")
    join(installer, tmp_path, command, "worker-b", "127.0.0.3")
    expect(page.locator("#node-rows tr")).to_have_count(3)
    # The log lives on the progress screen; show it without starting an install (a module is one
    # instance per page, so this is the page's own navigation).
    page.evaluate("import('/static/js/nav.js').then((nav) => nav.show('progress'))")
    screen(page, "progress")

    tablist = page.get_by_role("tablist", name="Log per node")
    tabs = tablist.get_by_role("tab")
    expect(tabs).to_have_text(["All nodes", "worker-a", "worker-b"])
    for i in range(3):
        expect(tabs.nth(i)).to_have_attribute("aria-controls", "log-panel")
    expect(selected_tab(page)).to_have_text("All nodes")
    expect(tabs.nth(0)).to_have_attribute("tabindex", "0")
    expect(tabs.nth(1)).to_have_attribute("tabindex", "-1")
    panel = page.get_by_role("tabpanel")
    expect(panel).to_have_attribute("aria-labelledby", "log-tabs-0")

    page.locator("#screen-progress h1").focus()
    page.keyboard.press("Tab")  # into the tabs: onto the selected one
    expect(tabs.nth(0)).to_be_focused()
    log = page.locator("#log")
    for key, name in (("ArrowRight", "worker-a"), ("ArrowRight", "worker-b"), ("ArrowRight", "All nodes"),
                      ("ArrowLeft", "worker-b"), ("Home", "All nodes"), ("End", "worker-b")):
        page.keyboard.press(key)
        expect(selected_tab(page)).to_have_text(name)
        expect(selected_tab(page)).to_be_focused()
    expect(panel).to_have_attribute("aria-labelledby", "log-tabs-2")
    expect(log).to_contain_text("worker-b")
    expect(log).not_to_contain_text("Node worker-a")
    page.keyboard.press("Tab")
    expect(log).to_be_focused()  # the other tabs are not in the Tab order

    page.keyboard.press("Shift+Tab")
    join(installer, tmp_path, command, "worker-b", "127.0.0.3")  # a live event redraws the log
    expect(log).to_contain_text("reconnected")
    expect(selected_tab(page)).to_be_focused()
    pages.shot(page, "log-tabs")
