"""Steps through the wizard that several browser tests share, as an operator would click them."""

from __future__ import annotations

from playwright.sync_api import Page, expect

SLOW = 120_000  # ms: the whole install on the test host, registry and stand-in k3s included


def screen(page: Page, name: str):
    locator = page.locator(f"#screen-{name}")
    expect(locator).to_be_visible()
    return locator


def to_checks(page: Page, pages=None) -> None:
    """Welcome -> license -> flavor -> nodes -> settings -> checks, keeping the answers given."""
    screen(page, "welcome")
    expect(page.locator("#connection")).to_have_text("Connected")
    shot(pages, page, "welcome")
    page.get_by_role("button", name="Continue").click()
    screen(page, "eula")
    expect(page.locator("#eula-next")).to_be_disabled()
    page.get_by_label("I have read and accept the license agreement").check()
    shot(pages, page, "eula")
    page.locator("#eula-next").click()
    screen(page, "flavor")
    page.locator("input[name=flavor][value=one]").check()
    shot(pages, page, "flavor")
    page.locator("#flavor-form button[type=submit]").click()
    screen(page, "nodes")
    expect(page.locator("#node-rows tr")).to_have_count(1)
    shot(pages, page, "nodes")
    page.locator("#screen-nodes [data-next]").click()
    screen(page, "settings")
    expect(page.locator("#advertise-addr")).to_have_value("127.0.0.1")
    shot(pages, page, "settings")
    page.get_by_role("button", name="Save and continue").click()
    screen(page, "checks")
    expect(page.locator("#check-rows tr").first).to_be_visible()


def to_nodes(page: Page, flavor: str):
    """Welcome -> license -> flavor `flavor` -> the nodes screen (returned)."""
    screen(page, "welcome")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("I have read and accept the license agreement").check()
    page.locator("#eula-next").click()
    screen(page, "flavor")
    page.locator(f"input[name=flavor][value={flavor}]").check()
    page.locator("#flavor-form button[type=submit]").click()
    return screen(page, "nodes")


def shot(pages, page: Page, name: str) -> None:
    if pages is not None:
        pages.shot(page, name)


def wait_done(page: Page) -> None:
    expect(page.locator("#screen-done")).to_be_visible(timeout=SLOW)
