"""Install links in Chromium: a vendor makes one on a release page and one on the channels page,
sees the command (the hub's self-signed certificate given to curl with --cacert, its fingerprint)
and the script's full text once, and the link is gone from the page afterwards. Screenshots go to
tests/artifacts/hub; no page asks another host for anything."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.hub_site import HubSite
from tests.browser.test_hub_catalog import _sign_in

LINK = re.compile(r"https://127\.0\.0\.1:\d+/install/hub_[0-9a-f]+_[A-Za-z0-9_-]+")


@pytest.fixture(scope="module")
def hub_site(tmp_path_factory):
    site = HubSite(tmp_path_factory.mktemp("hub-links"))
    site.start()
    site.publish("1.0.0")
    promoted = site.api().post(f"{site.url}/api/v1/applications/hello/releases/1.0.0/promotions",
                               json={"channel": "stable"}, timeout=10)
    assert promoted.ok, promoted.text
    yield site
    site.stop()


def test_a_vendor_makes_an_install_link_and_reads_its_script(hub_pages, hub_site):
    page = _sign_in(hub_pages, hub_site)
    page.goto(f"{hub_site.url}/apps/hello/1.0.0")
    expect(page.get_by_role("heading", name="Install from a link")).to_be_visible()
    page.get_by_label("Sites it may install").fill("2")
    page.get_by_label("Valid for (days)").fill("3")
    page.get_by_label("Install with").select_option("cli")
    page.get_by_label("./install arguments").fill("--flavor one --accept-eula")
    hub_pages.shot(page, "install-link-form")
    page.get_by_role("button", name="Make an install link").click()

    expect(page.get_by_role("heading", name="Install link for hello 1.0.0")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("shown this once")
    expect(page.locator(".facts")).to_contain_text("2, following the channel stable")
    command = page.locator("#install-command")
    expect(command).to_contain_text("-----BEGIN CERTIFICATE-----")
    expect(command).to_contain_text("curl --fail-with-body -sSL --cacert airlift-hub.pem https://127.0.0.1:")
    expect(page.locator("#hub-fingerprint")).to_have_text(hub_site.fingerprint)
    script = page.locator("#install-script")
    expect(script).to_contain_text("BUNDLE_SHA256=")
    expect(script).to_contain_text('./install --cli --flavor one --accept-eula "$@"')
    expect(script).to_contain_text("./install hub connect")
    link = LINK.search(page.locator("#install-url").inner_text())
    assert link, page.locator("#install-url").inner_text()
    hub_pages.shot(page, "install-link-made")

    fetched = page.request.get(link.group(0))
    assert fetched.ok and fetched.headers["content-type"].startswith("text/plain")
    assert fetched.text().strip() == script.inner_text().strip()  # the page shows what the host runs
    page.goto(f"{hub_site.url}/apps/hello/1.0.0")
    assert link.group(0) not in page.content()


def test_a_channel_link_installs_the_newest_release_with_the_wizard(hub_pages, hub_site):
    page = _sign_in(hub_pages, hub_site)
    page.get_by_role("link", name="Channels").click()
    page.get_by_text("Install link for the newest hello on stable").click()
    form = page.locator("details.install-link form")
    form.get_by_label("Install with").select_option("wizard")
    hub_pages.shot(page, "channel-install-link-form")
    form.get_by_role("button", name="Make an install link").click()
    expect(page.get_by_role("heading", name="Install link for hello on stable")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("the newest hello on stable when the script is fetched (now 1.0.0)")
    expect(page.locator("#install-script")).to_contain_text('./install "$@"')
    hub_pages.shot(page, "channel-install-link-made")
