"""Downloads from a hub served as a real process: hello 1.0.0 and 1.1.0 built with --sign and
published (which signs 1.1.0's differential against 1.0.0 on the hub), then each bundle fetched
in two halves with HTTP Range, as a site resumes a cut download. The differential bundle is byte
for byte what `build.py --sign --since` writes and passes its own `./install verify`; the full
bundle is the one build.py wrote."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from installer.bundle import safe_extract
from tests.fixtures.build_fixtures import HELLO, make_hello_images, run_build

pytestmark = pytest.mark.timeout(900)

RELEASE = "/api/v1/applications/hello/releases/1.1.0"


def _build(manifest: Path, out: Path, k3s: Path, key: Path, *extra: str | Path) -> str:
    result = run_build(manifest, "-o", out, "--k3s", k3s, "--no-k3s-images", "--source",
                       f"oci:{make_hello_images()}", "--sign", key, *extra)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _resumed(hub, path: str, out: Path) -> Path:  # type: ignore[no-untyped-def]
    """Download in two halves: the first cut short, the rest asked for with Range and If-Range."""
    session = hub.session()
    whole = session.head(f"{hub.url}{path}", timeout=30)
    size, etag = int(whole.headers["Content-Length"]), whole.headers["ETag"]
    first = session.get(f"{hub.url}{path}", headers={"Range": f"bytes=0-{size // 2 - 1}"}, timeout=120)
    assert first.status_code == 206
    rest = session.get(f"{hub.url}{path}", headers={"Range": f"bytes={size // 2}-", "If-Range": etag}, timeout=120)
    assert rest.status_code == 206 and rest.headers["Content-Range"] == f"bytes {size // 2}-{size - 1}/{size}"
    out.write_bytes(first.content + rest.content)
    return out


def test_a_differential_bundle_from_the_hub_is_the_signed_one_build_since_writes(
        hub_process, tmp_path, frozen_k3s_standin):
    key = tmp_path / "vendor.key"
    assert run_build("keygen", "-o", key).returncode == 0
    publish = ["--publish", hub_process.url, "--hub-token", hub_process.token,
               "--hub-fingerprint", hub_process.fingerprint]
    _build(HELLO / "app.yaml", tmp_path / "hello-1.0.0.tar", frozen_k3s_standin, key, *publish)
    said = _build(HELLO / "next" / "app.yaml", tmp_path / "hello-1.1.0.tar", frozen_k3s_standin, key, *publish)
    assert "signed its differential bundles from 1.0.0" in said
    _build(HELLO / "next" / "app.yaml", tmp_path / "built-diff.tar", frozen_k3s_standin, key,
           "--since", tmp_path / "hello-1.0.0.tar")

    diff = _resumed(hub_process, f"{RELEASE}/differentials/1.0.0/bundle.tar", tmp_path / "hub-diff.tar")
    assert diff.read_bytes() == (tmp_path / "built-diff.tar").read_bytes()
    full = _resumed(hub_process, f"{RELEASE}/bundle.tar", tmp_path / "hub-full.tar")
    assert full.read_bytes() == (tmp_path / "hello-1.1.0.tar").read_bytes()

    safe_extract(diff, tmp_path / "unpacked")
    verify = subprocess.run([str(tmp_path / "unpacked" / "hello-1.1.0" / "install"), "verify"], capture_output=True,
                            text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert verify.returncode == 0, verify.stdout + verify.stderr
    text = " ".join(verify.stdout.split())
    assert "Bundle hello 1.1.0: all" in text and "hello 1.0.0" in text
    assert re.search(r"signed by key SHA256:\S+", text), text
