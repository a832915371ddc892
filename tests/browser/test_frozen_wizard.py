"""The frozen wizard in a browser: the bundle's own `./install` (no Python from the test machine)
serves its pages and every asset under static/, and Socket.IO connects."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import REPO, Installer

pytestmark = pytest.mark.browser


class FrozenInstaller(Installer):
    """The same wizard process, started through the bundle's launcher and frozen binary."""

    def command(self, *args: str) -> list[str]:
        return [str(self.bundle_dir / "install"), *args, "--root", str(self.root), "--state-dir", str(self.state_dir)]


@pytest.fixture
def installer(hello_bundle_dir: Path, tmp_path: Path):
    assert (hello_bundle_dir / "bin" / "airlift").is_file(), "the bundle does not carry the frozen installer"
    inst = FrozenInstaller(hello_bundle_dir, tmp_path)
    yield inst
    inst.stop()
    inst.uninstall()


def test_the_frozen_wizard_serves_every_asset_and_socketio_connects(installer, pages):
    page = pages.open(installer.start())
    try:
        expect(page.locator("#connection")).to_have_text("Connected")
    except AssertionError as e:  # what the frozen wizard said is what tells why
        raise AssertionError(f"{e}\nthe frozen wizard's output:\n{''.join(installer.output)}{installer.stop()}") from None
    assets = sorted(p for p in (REPO / "static").rglob("*") if p.is_file())
    assert assets
    for asset in assets:
        rel = asset.relative_to(REPO / "static").as_posix()
        reply = page.request.get(f"{installer.base}/static/{rel}")
        assert reply.status == 200, f"static/{rel}: HTTP {reply.status} from the frozen wizard"
        assert reply.body() == asset.read_bytes(), f"static/{rel} differs in the frozen wizard"
    pages.shot(page, "frozen-welcome")
