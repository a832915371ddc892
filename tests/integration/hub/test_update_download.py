"""Updates from a hub served as a real process: hello 1.0.0 and 1.1.0 built with --sign and
published to `stable`, a site installed on this host from that 1.0.0 and connected through a
relay that cuts the first download half way. `./install update download` fetches the signed
differential bundle against the installed release, resuming after the cut; a blob altered on the
hub is refused, naming the file, and nothing of that download is kept; then `./install upgrade
--yes`, run from the downloaded folder, takes the site to 1.1.0."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from installer.bundle import safe_extract
from installer.bundle.index import Index
from installer.statedir import StateDir
from tests.fixtures.build_fixtures import HELLO, make_hello_images, run_build
from tests.integration.hub.cutting_proxy import CuttingProxy
from tests.integration.hub.test_site_link import enroll_token
from tests.integration.installer_run import Target

pytestmark = pytest.mark.timeout(1500)

RELEASE = "/api/v1/applications/hello/releases/1.1.0"


def _publish(manifest: Path, out: Path, k3s: Path, key: Path, hub) -> None:  # type: ignore[no-untyped-def]
    built = run_build(manifest, "-o", out, "--k3s", k3s, "--no-k3s-images", "--source", f"oci:{make_hello_images()}",
                      "--sign", key, "--publish", hub.url, "--hub-token", hub.token, "--hub-fingerprint",
                      hub.fingerprint, "--channel", "stable", "-q")
    assert built.returncode == 0, built.stderr


def _carried(hub, path: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """The differential bundle's size and a file it carries (not from the base) with its blob."""
    session = hub.session()
    size = int(session.head(f"{hub.url}{path}/bundle.tar", timeout=60).headers["Content-Length"])
    index = Index.from_json(session.get(f"{hub.url}{path}/index.json", timeout=60).content)
    entry = next(e for e in index.carried if e.path == "app.yaml")
    return size, entry.sha256


@pytest.mark.parametrize("hub_database_url", ["sqlite"], indirect=True)
def test_update_download_resumes_refuses_a_tampered_blob_and_upgrades_from_the_folder(
        hub_process, hub_database_url, tmp_path, frozen_k3s_standin):
    key = tmp_path / "vendor.key"
    assert run_build("keygen", "-o", key).returncode == 0
    _publish(HELLO / "app.yaml", tmp_path / "hello-1.0.0.tar", frozen_k3s_standin, key, hub_process)
    _publish(HELLO / "next" / "app.yaml", tmp_path / "hello-1.1.0.tar", frozen_k3s_standin, key, hub_process)
    size, blob = _carried(hub_process, f"{RELEASE}/differentials/1.0.0")
    safe_extract(tmp_path / "hello-1.0.0.tar", tmp_path / "v1")
    target = Target.make(tmp_path / "v1" / "hello-1.0.0", tmp_path / "site")
    target.root.mkdir(parents=True)
    installed = target.install()
    assert installed.returncode == 0, installed.stdout + installed.stderr
    relay = CuttingProxy(int(hub_process.url.rsplit(":", 1)[1]), cut_after=size // 2, downstream=True)
    try:
        folder = _download_resumed(target, relay, hub_process, hub_database_url, tmp_path)
        _tampered_blob_refused(target, tmp_path / "hub-data" / "blobs" / "sha256" / blob, tmp_path / "elsewhere")
        upgraded = subprocess.run([str(folder / "install"), "upgrade", "--yes", *target.location()], cwd=folder,
                                  capture_output=True, text=True, timeout=900, env={**os.environ, "COLUMNS": "200"})
        assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
        assert json.loads(target.run("status", "--json", *target.location()).stdout)["app"]["version"] == "1.1.0"
    finally:
        relay.close()
        assert target.uninstall().returncode == 0


def _download_resumed(target: Target, relay: CuttingProxy, hub, hub_database_url: str,  # type: ignore[no-untyped-def]
                      tmp_path: Path) -> Path:
    """Connect through the relay, then download: cut once half way, resumed, verified."""
    linked = target.run("hub", "connect", f"https://127.0.0.1:{relay.port}", "--token",
                        enroll_token(hub_database_url, tmp_path), "--fingerprint", hub.fingerprint, *target.location())
    assert linked.returncode == 0, linked.stdout + linked.stderr
    assert "Update available: 1.1.0" in linked.stdout
    got = target.run("update", "download", *target.location(), timeout=600)
    text = " ".join(got.stdout.split())
    assert got.returncode == 0, got.stdout + got.stderr
    assert relay.cuts == 1, "the relay never cut the download"
    assert "the differential bundle against 1.0.0" in text and "1 cut connection(s) resumed" in text, text
    assert "saved against the full bundle" in text and "signature and every file verified" in text, text
    folder = StateDir(target.state).update_folder("hello", "1.1.0")
    assert f"cd {folder} && ./install upgrade" in text, text
    assert Index.from_json((folder / "index.json").read_bytes()).base is not None
    assert sorted(p.name for p in folder.parent.iterdir()) == ["hello-1.1.0"]
    status = " ".join(target.run("status", *target.location()).stdout.split())
    assert "update available: 1.1.0; 1.1.0 is downloaded, ready to install" in status, status
    return folder


def _tampered_blob_refused(target: Target, stored: Path, other: Path) -> None:
    """app.yaml's blob altered on the hub: the download is refused naming it, nothing kept."""
    original = stored.read_bytes()
    altered = original.replace(b"1.1.0", b"6.6.6", 1)
    assert altered != original
    stored.write_bytes(altered)
    try:
        refused = target.run("update", "download", "-o", str(other), *target.location(), timeout=600)
    finally:
        stored.write_bytes(original)
    said = " ".join((refused.stdout + refused.stderr).split())
    assert refused.returncode != 0 and "was refused and removed" in said and "app.yaml: sha256 is" in said, said
    assert list(other.iterdir()) == []


@pytest.mark.parametrize("hub_database_url", ["sqlite"], indirect=True)
def test_a_site_that_opted_in_downloads_the_announced_release_in_the_background(
        hub_process, hub_database_url, tmp_path, frozen_k3s_standin):
    key = tmp_path / "vendor.key"
    assert run_build("keygen", "-o", key).returncode == 0
    _publish(HELLO / "app.yaml", tmp_path / "hello-1.0.0.tar", frozen_k3s_standin, key, hub_process)
    safe_extract(tmp_path / "hello-1.0.0.tar", tmp_path / "v1")
    target = Target.make(tmp_path / "v1" / "hello-1.0.0", tmp_path / "site")
    target.root.mkdir(parents=True)
    installed = target.install("--hub-interval", "5", "--hub-auto-download")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    try:
        linked = target.run("hub", "connect", hub_process.url, "--token", enroll_token(hub_database_url, tmp_path),
                            "--fingerprint", hub_process.fingerprint, *target.location())
        assert linked.returncode == 0, linked.stdout + linked.stderr
        _publish(HELLO / "next" / "app.yaml", tmp_path / "hello-1.1.0.tar", frozen_k3s_standin, key, hub_process)
        folder = StateDir(target.state).update_folder("hello", "1.1.0")
        deadline = time.monotonic() + 240
        while not (folder / "index.json").is_file() and time.monotonic() < deadline:
            time.sleep(2)
        status = " ".join(target.run("status", *target.location()).stdout.split())
        assert f"1.1.0 is downloaded, ready to install: cd {folder} && ./install upgrade" in status, status
        assert json.loads(target.run("status", "--json", *target.location()).stdout)["app"]["version"] == "1.0.0"
    finally:
        assert target.uninstall().returncode == 0
