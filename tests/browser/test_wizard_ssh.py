"""Adding a host over SSH on the nodes screen: the operator sees its host key fingerprint, gives the
key's passphrase (a wrong one is named), trusts the key, and watches the host join — a real sshd on
127.0.0.2 and the real agent copied there. The passphrase is in no file of the state folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from tests.browser.conftest import Installer
from tests.browser.flows import to_nodes
from tests.fixtures.net import free_port
from tests.fixtures.sshd import PasswordSshd, keygen, node_bundle, stop_started_agents

pytestmark = pytest.mark.browser

PHRASE = "browser phrase 7Qx"
WRONG = "not-the-phrase-5Rt"


@pytest.fixture
def installer(tmp_path):
    """The wizard on a small bundle whose copied `install` runs the real agent from the sources."""
    inst = Installer(node_bundle(tmp_path / "bundle", tmp_path / "agent"), tmp_path)
    answers = yaml.safe_load(inst.answers.read_text())
    inst.answers.write_text(yaml.safe_dump({**answers, "agent-port": free_port()}))
    yield inst
    inst.stop()
    stop_started_agents(inst.state_dir / "events.jsonl")


@pytest.fixture
def sshd(tmp_path):
    server = PasswordSshd(tmp_path / "sshd", "127.0.0.2", "unused-password-3Lw",
                          [keygen(tmp_path / "locked_key", PHRASE)])
    server.start()
    yield server
    server.stop()


def test_an_ssh_host_is_confirmed_unlocked_and_joins(installer, sshd, pages, tmp_path):
    page = pages.open(installer.start())
    to_nodes(page, "three")
    expect(page.locator("#ssh")).to_be_visible()

    page.get_by_label("Host address", exact=True).fill("127.0.0.2")
    page.get_by_label("SSH port", exact=True).fill(str(sshd.port))
    page.get_by_label("Role", exact=True).select_option("worker")
    page.get_by_label("Private key file (path on this host)").fill(str(tmp_path / "locked_key"))
    page.get_by_role("button", name="Check host key…").click()
    confirm = page.locator("#ssh-confirm")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("is new to this installer")
    expect(page.locator("#ssh-fingerprint")).to_have_text(sshd.fingerprint)
    expect(page.get_by_label("Passphrase of the key")).to_be_focused()
    pages.shot(page, "ssh-confirm")

    page.get_by_label("Passphrase of the key").fill(WRONG)
    page.get_by_role("button", name="Trust this key and connect").click()
    expect(page.locator("#ssh-confirm-problem")).to_contain_text(
        f"The passphrase of SSH key {tmp_path / 'locked_key'} for root@127.0.0.2:{sshd.port} is wrong.")
    pages.shot(page, "ssh-wrong-passphrase")

    page.get_by_label("Passphrase of the key").fill(PHRASE)
    page.get_by_role("button", name="Trust this key and connect").click()
    expect(confirm).to_be_hidden()
    host = page.locator("#ssh-hosts li[data-address='127.0.0.2']")
    expect(host).to_have_attribute("data-status", "joined", timeout=90_000)
    expect(page.locator("#node-rows")).to_contain_text("ssh-node")
    expect(page.locator("#join-help")).to_contain_text("also needs 1 worker node(s)")
    pages.shot(page, "ssh-joined")
    page.set_viewport_size({"width": 640, "height": 900})
    pages.shot(page, "ssh-joined-narrow")

    assert _files_holding(installer.state_dir, PHRASE) == []
    assert _files_holding(installer.state_dir, WRONG) == []
    assert _files_holding(tmp_path / "agent", PHRASE) == []


def _files_holding(folder: Path, secret: str) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_a_refused_password_and_a_changed_host_key_are_shown_with_what_to_do(installer, sshd, pages, tmp_path):
    page = pages.open(installer.start())
    to_nodes(page, "three")

    page.get_by_label("Host address", exact=True).fill("127.0.0.2")
    page.get_by_label("SSH port", exact=True).fill(str(sshd.port))
    expect(page.get_by_label("Role", exact=True)).to_have_value("worker")  # the profile still missing
    page.get_by_label("A password").check()
    expect(page.get_by_label("Private key file (path on this host)")).to_be_hidden()
    page.get_by_label("Password", exact=True).fill(WRONG)
    page.get_by_role("button", name="Check host key…").click()
    expect(page.locator("#ssh-fingerprint")).to_have_text(sshd.fingerprint)
    expect(page.get_by_label("Passphrase of the key")).to_be_hidden()
    page.get_by_role("button", name="Trust this key and connect").click()
    host = page.locator("#ssh-hosts li[data-address='127.0.0.2']")
    expect(host).to_have_attribute("data-status", "failed")
    expect(host).to_contain_text(f"root@127.0.0.2:{sshd.port} refused the password.")
    expect(host).to_contain_text("What to do: Check the user name (root) and enter the password again")
    pages.shot(page, "ssh-password-refused")

    sshd.stop()
    sshd.host_key.unlink()
    Path(f"{sshd.host_key}.pub").unlink()
    keygen(sshd.host_key)
    sshd.start()
    page.get_by_role("button", name="Check host key…").click()
    expect(page.locator("#ssh-problem")).to_have_text("address: is required")
    page.get_by_label("Host address", exact=True).fill("127.0.0.2")
    page.get_by_role("button", name="Check host key…").click()
    expect(page.locator("#ssh-problem")).to_contain_text(f"The SSH host key of [127.0.0.2]:{sshd.port} has CHANGED")
    expect(page.locator("#ssh-problem")).to_contain_text("ssh-keygen -R")
    expect(page.locator("#ssh-confirm")).to_be_hidden()
    pages.shot(page, "ssh-host-key-changed")
    assert _files_holding(installer.state_dir, WRONG) == []
