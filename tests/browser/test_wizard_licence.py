"""The Licence screen in Chromium against the real engine, for hello built with `build.py
--licence-key PUB`: it is a step only of a licensed bundle; a forged licence, another
application's, an expired one or one for fewer nodes than the cluster size chosen is refused with
its reason on screen and the journey waits; a good one shows who it is for, how many nodes and
until when; all of it by keyboard alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.flows import screen
from tests.fixtures.licence_fixtures import EXPIRED, LATER, forged_licence, licence_file

pytestmark = pytest.mark.browser

STEPS = ["Welcome", "License agreement", "Cluster size", "Nodes", "Settings", "Checks", "Install", "Done"]
FOCUSED_ID = "document.activeElement && document.activeElement.id"


@pytest.fixture
def wizard_bundle(request, licensed_hello, hello_bundle_dir):
    """The licensed hello; a test given the parameter "plain" gets hello as built without a licence key."""
    return hello_bundle_dir if getattr(request, "param", "") == "plain" else licensed_hello.dir


def to_licence(page: Page) -> Locator:
    """Welcome -> license agreement -> the Licence screen (returned)."""
    screen(page, "welcome")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("I have read and accept the license agreement").check()
    page.locator("#eula-next").click()
    return screen(page, "licence")


def offer(page: Page, licence: Path) -> None:
    """Paste the licence file's text and press Continue."""
    screen(page, "licence")
    page.get_by_label("Licence file contents").fill(licence.read_text())
    page.locator("#screen-licence").get_by_role("button", name="Continue").click()


def assert_refused(page: Page, *reason: str) -> None:
    """The Licence screen stays, says why next to the licence, and puts the keyboard on the
    licence text, which the reason describes."""
    problem = page.locator("#licence-problem")
    for words in reason:
        expect(problem).to_contain_text(words)
    text = page.get_by_label("Licence file contents")
    expect(text).to_have_attribute("aria-invalid", "true")
    expect(text).to_be_focused()
    expect(text).to_have_accessible_description(problem.inner_text())
    screen(page, "licence")
    expect(page.locator("#steps [aria-current=step]")).to_have_text("Licence file")


@pytest.mark.parametrize(("wizard_bundle", "steps"), [
    ("plain", STEPS),
    ("licensed", STEPS[:2] + ["Licence file"] + STEPS[2:]),
], indirect=["wizard_bundle"])
def test_only_a_licensed_bundle_asks_for_a_licence(installer, pages, steps):
    page = pages.open(installer.start())
    expect(page.locator("#steps li")).to_have_text(steps)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("I have read and accept the license agreement").check()
    page.locator("#eula-next").click()
    expect(page.locator("#steps [aria-current=step]")).to_have_text(steps[2])


def test_each_bad_licence_is_refused_with_its_reason_and_a_good_one_is_shown(installer, pages, licensed_hello):
    page = pages.open(installer.start())
    to_licence(page)
    pages.shot(page, "empty")
    page.locator("#screen-licence").get_by_role("button", name="Continue").click()
    assert_refused(page, "Choose the licence file, or paste what it holds")
    for licence, reason in (
            (forged_licence(licensed_hello), ("the licence's signature does not match its contents",)),
            (licence_file(licensed_hello, "other", application="other"), ("its application is 'other', not 'hello'",)),
            (licence_file(licensed_hello, "expired", expires=EXPIRED), ("it expired on 2024-01-31",)),
            (licensed_hello.public, ("is not a licence file Airlift can read",))):
        offer(page, licence)
        assert_refused(page, "The licence file you gave", *reason, ". What to do:", "ask the vendor for a licence file")
        pages.shot(page, "refused-" + licence.stem)
    assert page.evaluate("fetch('/api/snapshot').then((r) => r.json()).then((s) => s.licence.accepted)") is None

    page.locator("#licence-file").set_input_files(licence_file(licensed_hello, "good", customer="Acme Ltd"))
    expect(page.get_by_label("Licence file contents")).to_have_value(re.compile('"customer": "Acme Ltd"'))
    page.locator("#screen-licence").get_by_role("button", name="Continue").click()
    flavor = screen(page, "flavor")
    summary = f"Licence in use: Acme Ltd, up to 3 node(s), valid through {LATER.isoformat()}."
    expect(flavor.locator("#flavor-licence")).to_have_text(summary)  # where the node limit matters
    pages.shot(page, "flavor-licensed")
    flavor.get_by_role("button", name="Back").click()
    screen(page, "licence")
    expect(page.locator("#licence-accepted")).to_have_text(summary)
    expect(page.locator("#licence-problem")).to_be_hidden()
    pages.shot(page, "accepted")


def choose(page: Page, flavor: str) -> None:
    screen(page, "flavor")
    page.locator(f"input[name=flavor][value={flavor}]").check()
    page.locator("#screen-flavor").get_by_role("button", name="Continue").click()


def test_a_licence_for_fewer_nodes_than_the_cluster_size_is_refused(installer, pages, licensed_hello):
    page = pages.open(installer.start())
    to_licence(page)
    offer(page, licence_file(licensed_hello, "one-node", max_nodes=1))
    screen(page, "flavor")
    expect(page.locator("#flavor-licence")).to_contain_text("up to 1 node(s)")
    choose(page, "three")
    problem = page.locator("#flavor-problem")
    expect(problem).to_contain_text("The licence file you gave (licence ")
    expect(problem).to_contain_text("its max_nodes allows 1 node(s), but the flavor three needs 3. What to do:")
    expect(problem).to_have_attribute("role", "alert")
    screen(page, "flavor")
    pages.shot(page, "flavor-refused")

    page.locator("#screen-flavor").get_by_role("button", name="Back").click()
    offer(page, licence_file(licensed_hello, "three-nodes", max_nodes=3))
    choose(page, "three")
    screen(page, "nodes")
    page.locator("#screen-nodes").get_by_role("button", name="Back").click()
    expect(screen(page, "flavor").locator("input[value=three]")).to_be_checked()
    page.locator("#screen-flavor").get_by_role("button", name="Back").click()
    offer(page, licence_file(licensed_hello, "two-nodes", max_nodes=2))
    assert_refused(page, "its max_nodes allows 2 node(s), but the flavor three needs 3", "What to do: ask the vendor")
    expect(page.locator("#licence-accepted")).to_contain_text("Licence in use: Acme, up to 3 node(s)")  # still
    pages.shot(page, "refused-too-small")


def test_the_licence_screen_by_keyboard_alone(installer, pages, licensed_hello):
    page = pages.open(installer.start())
    heading = to_licence(page).get_by_role("heading", level=1)
    expect(heading).to_be_focused()
    visited = []
    for _ in range(4):
        page.keyboard.press("Tab")
        visited.append(page.evaluate(FOCUSED_ID) or page.evaluate("document.activeElement.textContent"))
    assert visited == ["licence-file", "licence-text", "Back", "Continue"]

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.insert_text(licence_file(licensed_hello, "old", expires=EXPIRED).read_text())  # a paste
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert_refused(page, "it expired on 2024-01-31", "What to do: ask the vendor")

    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.insert_text(licence_file(licensed_hello, "new").read_text())
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(screen(page, "flavor").get_by_role("heading", level=1)).to_be_focused()
    expect(page.locator("#flavor-licence")).to_contain_text("Licence in use: Acme, up to 3 node(s)")
