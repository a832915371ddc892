"""Without its access link the wizard shows only how to get in, over HTTP and over Socket.IO."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# A raw engine.io/Socket.IO handshake from the page: open, then ask to connect the main namespace.
FORGED_CONNECT = """(url) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  ws.onmessage = (m) => { if (m.data.startsWith("0")) ws.send("40"); else if (m.data.startsWith("4")) resolve(m.data); };
  ws.onerror = () => resolve("error");
  setTimeout(() => resolve("timeout"), 10000);
})"""


def test_page_refused_without_token(installer, pages):
    link = installer.start()
    page = pages.open(installer.base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This installer needs its access link")
    expect(page.locator("body")).to_contain_text(str(installer.state_dir / "wizard" / "url"))
    pages.shot(page, "locked")
    assert page.evaluate("fetch('/api/snapshot').then((r) => r.status)") == 401
    assert page.evaluate("fetch('/static/js/main.js').then((r) => r.status)") == 401
    answer = page.evaluate(FORGED_CONNECT, f"wss://127.0.0.1:{installer.port}/socket.io/?EIO=4&transport=websocket")
    assert answer.startswith("44") and "no wizard session" in answer  # CONNECT_ERROR

    page.goto(installer.base + "/?token=wrong")
    expect(page.locator(".problem")).to_contain_text("wrong or has already been used")
    page.goto(link)
    expect(page.locator("#screen-welcome")).to_be_visible()
    spent = pages.open(link)  # another browser with the same, now spent, link
    expect(spent.locator(".problem")).to_contain_text("already been used")
    log = (installer.state_dir / "wizard" / "wizard.log").read_text()
    assert "refused Socket.IO connection" in log and link.split("token=")[1] not in log
