"""The whole journey in Chromium against the real engine: link with token, license, flavor, nodes,
settings (refused, then right), checks, Start (double-clicked), progress, a reload mid-install, done."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from playwright.sync_api import expect

from tests.browser.flows import SLOW, screen, to_checks, wait_done

pytestmark = pytest.mark.browser


def operation_starts(installer) -> int:
    events = (installer.state_dir / "events.jsonl").read_text().splitlines()
    return sum(1 for line in events if json.loads(line)["kind"] == "operation" and json.loads(line)["status"] == "started")


def test_journey_from_link_to_done(installer, pages):
    installer.env["K3S_STANDIN_READY_DELAY"] = "8"  # a node slow to be Ready: time to reload mid-install
    page = pages.open(installer.start())
    expect(page).to_have_url(installer.base + "/")  # the token is gone from the address bar
    expect(page.locator("#app-name")).to_have_text("hello")
    expect(page.locator("#welcome-logo")).to_be_visible()
    expect(page.locator("#release-notes")).to_contain_text("hello 1.0.0")

    to_checks(page, pages)
    page.locator("#screen-checks").get_by_role("button", name="Back").click()
    page.fill("#pod-cidr", "10.43.0.0/16")
    page.fill("#advertise-addr", "10.255.255.254")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#advertise-addr-problem")).to_contain_text("not an address of this host")
    expect(page.locator("#service-cidr-problem")).to_contain_text("overlaps pod-cidr")
    expect(page.locator("#advertise-addr")).to_have_attribute("aria-invalid", "true")
    pages.shot(page, "settings-refused")
    page.fill("#pod-cidr", "10.42.0.0/16")
    page.fill("#advertise-addr", "127.0.0.1")
    page.get_by_role("button", name="Save and continue").click()

    screen(page, "checks")
    expect(page.locator("#checks-summary")).to_contain_text("passed")
    failing = page.locator("#check-rows tr[data-status=fail]").all_inner_texts()
    assert failing == [], f"this host fails checks the journey needs to pass: {failing}"
    pages.shot(page, "checks")
    page.locator("#start").dblclick()
    screen(page, "progress")
    runtime = page.locator(".phase[data-phase='/runtime']")
    expect(runtime).to_have_attribute("data-state", "in_progress", timeout=SLOW)
    pages.shot(page, "progress")

    page.reload()  # mid-install: the whole state and history come back
    screen(page, "progress")
    expect(page.locator(".phase[data-phase='/registry']")).to_have_attribute("data-state", "completed")
    expect(page.locator(".phase[data-phase='/registry'] progress")).to_have_attribute("value", re.compile(r"\d+"))
    expect(runtime).to_have_attribute("data-state", "in_progress")
    expect(page.locator("#log div", has_text="Registry answering at")).to_have_count(1)
    expect(page.locator("#operation-status")).to_contain_text("Running: Start Kubernetes")
    pages.shot(page, "progress-after-reload")
    wait_done(page)
    expect(page.locator("#log div", has_text="Verifying bundle")).to_have_count(1)
    expect(page.locator("#kubeconfig")).to_have_text(str(installer.root / "etc/rancher/k3s/k3s.yaml"))
    expect(page.locator("#log-path")).to_have_text(str(installer.state_dir / "logs/installer.log"))
    kept = installer.state_dir / "installer" / "install"  # works once the bundle folder is gone
    expect(page.locator("#status-command")).to_have_text(f"{kept} --root {installer.root} status")
    answers = installer.state_dir / "answers.yaml"
    expect(page.locator("#replay-command")).to_have_text(f"./install --cli --config {answers}")
    expect(page.locator("#endpoints li").first).to_contain_text("Web")
    pages.shot(page, "done")
    saved = yaml.safe_load(answers.read_text())  # what `./install --cli --config` replays
    assert (saved["flavor"], saved["advertise-addr"], saved["pod-cidr"]) == ("one", "127.0.0.1", "10.42.0.0/16")
    assert saved["registry-port"] == installer.registry_port
    assert saved["accept-eula"] is True  # the licence screen's answer replays headless
    assert operation_starts(installer) == 1
    # The recorder saw the page's own traffic (assets, actions, Socket.IO), all of it on this host.
    recorded = " ".join(pages.requests)
    for path in ("/static/vendor/socket.io.min.js", "/api/start", "/socket.io/"):
        assert path in recorded
    assert pages.off_host(f"127.0.0.1:{installer.port}") == []


def test_narrow_screen_and_keyboard_skip_a_named_check(installer, pages):
    page = pages.open(installer.start(), width=600, height=900)
    to_checks(page)
    pages.shot(page, "checks-narrow")
    box = page.locator("#start").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 600
    assert page.evaluate("document.documentElement.scrollWidth") <= 600

    page.get_by_text("Skip a check by name").click()
    page.get_by_label("Check name").fill("swap")
    page.keyboard.press("Enter")
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text('Skip the check "swap"?')
    expect(page.get_by_role("button", name="Skip this check")).to_be_focused()
    pages.shot(page, "skip-confirm")
    page.keyboard.press("Enter")
    row = page.locator("#check-rows tr[data-check=swap]")
    expect(row).to_have_attribute("data-status", "skipped")
    expect(page.locator("#skipped-list")).to_have_text("process-k3s, swap")  # the first: the fixture's
    row.get_by_role("button", name="Check again").click()
    expect(row).not_to_have_attribute("data-status", "skipped")
    expect(page.locator("#skipped-list")).to_have_text("process-k3s")
