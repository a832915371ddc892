"""The hub's catalog in Chromium: a vendor signs in, finds the application and a release (its
signature key id, images, channels), promotes it, edits its notes and required flag, and downloads
the full bundle and a differential one from the links on the page. Screenshots go to
tests/artifacts/hub; no page asks another host for anything."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.hub_site import HubSite, sign_in


@pytest.fixture(scope="module")
def hub_site(tmp_path_factory):
    site = HubSite(tmp_path_factory.mktemp("hub"))
    site.start()
    site.publish("1.0.0")
    site.publish("1.1.0", sign_differentials_against=1)
    site.publish("1.2.0")
    yield site
    site.stop()


def _sign_in(hub_pages, hub_site, width: int = 1280):  # type: ignore[no-untyped-def]
    page = hub_pages.open(f"{hub_site.url}/", width=width)
    expect(page).to_have_url(f"{hub_site.url}/login")
    hub_pages.shot(page, "login")
    sign_in(page)
    expect(page.get_by_role("heading", name="Applications")).to_be_visible()
    return page


def test_a_vendor_finds_a_release_promotes_it_and_edits_it(hub_pages, hub_site):
    page = _sign_in(hub_pages, hub_site)
    hub_pages.shot(page, "applications")
    page.get_by_role("link", name="hello").click()
    expect(page.get_by_role("heading", name="hello")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(3)
    hub_pages.shot(page, "application")
    page.get_by_role("link", name="1.1.0").click()

    expect(page.get_by_role("heading", name="hello 1.1.0")).to_be_visible()
    facts = page.locator(".facts")
    expect(facts).to_contain_text(hub_site.key_id)
    expect(facts).to_contain_text("v1.31.1+k3s1")
    expect(facts).to_contain_text("none yet")
    expect(page.get_by_text("docker.io/hello/web:1.1.0")).to_be_visible()
    expect(page.get_by_text("docker.io/library/redis:7.2")).to_be_visible()
    hub_pages.shot(page, "release")

    page.get_by_label("or a new one").fill("lts")
    page.get_by_role("button", name="Promote").click()
    expect(facts).to_contain_text("lts")
    page.get_by_label("Channel", exact=True).select_option("stable")
    page.get_by_role("button", name="Promote").click()
    expect(facts).to_contain_text("lts, stable")

    page.get_by_label("Release notes").fill("Fixes the greeting.\nUpgrade from 1.0.0 directly.")
    page.get_by_label("Required: sites may not skip this release").check()
    with page.expect_navigation():  # the POST's redirect: reloading before it lands detaches the page
        page.get_by_role("button", name="Save").click()
    page.reload()
    expect(page.get_by_label("Release notes")).to_have_value("Fixes the greeting.\nUpgrade from 1.0.0 directly.")
    expect(page.get_by_label("Required: sites may not skip this release")).to_be_checked()
    hub_pages.shot(page, "release-edited")

    page.get_by_role("link", name="Channels").click()
    expect(page.locator("main")).to_contain_text("lts")
    hub_pages.shot(page, "channels")
    page.get_by_role("link", name="Applications").click()
    page.get_by_role("link", name="hello").click()
    row = page.locator("tbody tr", has_text="1.1.0")
    expect(row).to_contain_text("lts, stable")
    expect(row).to_contain_text("yes")


def test_the_release_page_downloads_the_full_and_differential_bundles(hub_pages, hub_site, tmp_path):
    page = _sign_in(hub_pages, hub_site)
    page.goto(f"{hub_site.url}/apps/hello/1.2.0")
    table = page.locator("table.differentials")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr", has_text="1.0.0")).to_contain_text("not signed yet")
    expect(page.locator(".note")).to_contain_text("--allow-other-signer")
    hub_pages.shot(page, "downloads")

    api = hub_site.api()
    for link, path in (("Download the full bundle", "bundle.tar"),
                       ("Download from 1.1.0", "differentials/1.1.0/bundle.tar")):
        with page.expect_download() as caught:
            page.get_by_role("link", name=link).click()
        saved = tmp_path / caught.value.suggested_filename
        caught.value.save_as(saved)
        wanted = api.get(f"{hub_site.url}/api/v1/applications/hello/releases/1.2.0/{path}", timeout=60).content
        assert saved.read_bytes() == wanted
    assert {p.name for p in tmp_path.iterdir()} == {"hello-1.2.0.tar", "hello-1.2.0-diff-1.1.0.tar"}
    page.reload()
    expect(table.locator("tbody tr", has_text="1.1.0")).not_to_contain_text("known after the first download")

    page.goto(f"{hub_site.url}/apps/hello/1.1.0")
    expect(page.locator("table.differentials tbody tr", has_text="1.0.0")).to_contain_text("signed")
    expect(page.locator("table.differentials tbody tr", has_text="1.0.0")).not_to_contain_text("not signed")
    expect(page.locator(".note")).to_have_count(0)
    hub_pages.shot(page, "downloads-signed")


def test_the_release_page_on_a_phone(hub_pages, hub_site):
    page = _sign_in(hub_pages, hub_site, width=390)
    page.goto(f"{hub_site.url}/apps/hello/1.2.0")
    expect(page.get_by_role("link", name="Download the full bundle")).to_be_visible()
    hub_pages.shot(page, "release-phone")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
