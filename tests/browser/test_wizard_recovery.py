"""Things going wrong, in Chromium against the real engine: a failed check fixed and re-run, two
browsers pressing Start, a failed phase and Retry, the installer killed and started again."""

from __future__ import annotations

import json
import signal
import socket

import pytest
from playwright.sync_api import expect

from tests.browser.flows import SLOW, screen, to_checks, wait_done

pytestmark = pytest.mark.browser


def operations(installer) -> list[str]:
    lines = (installer.state_dir / "events.jsonl").read_text().splitlines()
    return [e["message"] for e in map(json.loads, lines) if e["kind"] == "operation" and e["status"] == "started"]


def test_failed_check_fixed_two_browsers_start_then_retry_a_failed_phase(installer, pages):
    blocker = socket.socket()  # holds the registry port, as a forgotten process would
    blocker.bind(("127.0.0.1", installer.registry_port))
    page = pages.open(installer.start())
    to_checks(page)
    row = page.locator(f"#check-rows tr[data-check=port-tcp-{installer.registry_port}]")
    expect(row).to_have_attribute("data-status", "fail")
    expect(row).to_contain_text("is in use")
    expect(row).to_contain_text("or set registry-port to a free port")
    expect(page.locator("#start")).to_be_disabled()
    pages.shot(page, "check-failed")

    blocker.close()  # the fix
    page.get_by_role("button", name="Run checks again").click()
    expect(row).to_have_attribute("data-status", "pass")
    expect(page.locator("#start")).to_be_enabled()

    # A second operator at the same screen; both press Start.
    other = pages.open(installer.fresh_link())
    to_checks(other)
    broken = installer.root / "etc" / "rancher"  # a file where k3s's config folder must go
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("not a folder")
    page.locator("#start").click()
    other.locator("#start").click()
    for p in (page, other):
        screen(p, "progress")
    expect(other.locator("#notice")).to_contain_text("already running")

    failure = page.locator("#failure")
    expect(failure).to_be_visible(timeout=SLOW)
    expect(failure).to_contain_text("(/runtime) failed")
    expect(failure).to_contain_text(str(broken))
    expect(failure).to_contain_text("What to do:")
    expect(page.locator(".phase[data-phase='/runtime']")).to_have_attribute("data-state", "failed")
    expect(other.locator("#failure")).to_be_visible()
    pages.shot(page, "phase-failed")

    broken.unlink()  # the fix
    page.get_by_role("button", name="Retry").click()
    wait_done(page)
    wait_done(other)
    starts = operations(installer)
    assert [m for m in starts if m.startswith("Installing")] == ["Installing hello 1.0.0"]
    assert len(starts) == 2  # the install, then the one resume


def test_installer_killed_mid_install_then_started_again(installer, pages):
    page = pages.open(installer.start())
    to_checks(page, pages)
    page.locator("#start").click()
    expect(page.locator(".phase[data-phase='/bootstrap'][data-state=completed]")).to_be_visible(timeout=SLOW)
    installer.stop(signal.SIGKILL)
    expect(page.locator("#connection")).to_contain_text("Connection lost")
    pages.shot(page, "connection-lost")

    page.goto(installer.start())  # ./install again: same state directory
    screen(page, "progress")
    expect(page.locator("#failure")).to_contain_text("interrupted")
    pages.shot(page, "interrupted")
    page.get_by_role("button", name="Retry").click()
    wait_done(page)
    assert len(operations(installer)) == 2
