"""The issue's single-host proof with examples/hello/next, as the operator runs it: hello 1.0.0
installed, `./install upgrade --yes` from the full 1.1.0 bundle, `./install rollback --yes`, then
`./install upgrade --yes` from the differential 1.1.0 bundle (built against the installed 1.0.0),
the hello page read from the running pod at each step. The differential bundle finds what it left
out where the site keeps it; a corrupted blob in it, or a left-out blob the site lost, is refused
before anything changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from installer.bundle import Bundle, safe_extract
from installer.cluster_service.kept import kept_bundle, require_node_blobs, site_base
from installer.registry.populate import content_path
from tests.fixtures.build_fixtures import HELLO, build_hello
from tests.fixtures.net import wait_until
from tests.integration.installer_run import Target
from tests.integration.test_upgrade_host import harness, installed_version, kubectl, upgrade

pytestmark = pytest.mark.integration

PAGE_1_0 = "<h1>Hello from Airlift</h1>"
PAGE_1_1 = "Hello from Airlift 1.1"


@pytest.fixture(scope="module")
def next_bundles(tmp_path_factory, hello_bundle_tar, frozen_k3s_standin) -> dict[str, Path]:
    """examples/hello/next (1.1.0) full and differential against the session's 1.0.0, unpacked."""
    tmp = tmp_path_factory.mktemp("hello-next")
    found = {}
    for kind, extra in (("full", ()), ("diff", ("--since", hello_bundle_tar))):
        out = build_hello(HELLO / "next" / "app.yaml", tmp / f"hello-1.1.0-{kind}.tar", frozen_k3s_standin, *extra)
        safe_extract(out, tmp / kind)
        found[kind] = tmp / kind / "hello-1.1.0"
    assert Bundle.open(found["diff"]).is_differential
    return found


def page(target: Target) -> str:
    """The hello page the running pod serves."""
    return kubectl(target, "exec", "deployment/hello-web", "--", "cat", "/www/index.html").stdout


def shows(target: Target, text: str) -> bool:
    return wait_until(lambda: text in page(target), timeout=60)


def from_bundle(target: Target, bundle: Path) -> Target:
    return Target(bundle, target.root, target.state, target.registry_port, target.api_port, target.agent_port)


def app_version(target: Target) -> str:
    return json.loads(target.run("status", "--json", *target.location()).stdout)["app"]["version"]


def operations(target: Target) -> list[str]:
    folder = target.state / "operations"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_full_upgrade_rollback_then_differential_upgrade_with_the_page_at_each_step(installed, next_bundles,
                                                                                   tmp_path):
    target = installed
    assert shows(target, PAGE_1_0), page(target)

    full = from_bundle(target, next_bundles["full"]).run("upgrade", "--yes", *target.location(), timeout=600)
    assert full.returncode == 0, full.stdout + full.stderr
    assert app_version(target) == "1.1.0" and shows(target, PAGE_1_1), page(target)

    back = from_bundle(target, next_bundles["full"]).run("rollback", "--yes", *target.location(), timeout=600)
    assert back.returncode == 0, back.stdout + back.stderr
    assert app_version(target) == "1.0.0" and shows(target, PAGE_1_0), page(target)

    _refuses_a_corrupted_blob(target, next_bundles["diff"], tmp_path)
    _refuses_when_the_site_lost_a_left_out_blob(target, next_bundles["diff"])

    diff = from_bundle(target, next_bundles["diff"]).run("upgrade", "--yes", *target.location(), timeout=600)
    assert diff.returncode == 0, diff.stdout + diff.stderr
    assert "differential" in diff.stdout
    assert app_version(target) == "1.1.0" and shows(target, PAGE_1_1), page(target)
    status = target.run("status", *target.location())
    assert status.returncode == 0 and "registry serves all" in status.stdout, status.stdout
    _kept_bundle_is_complete(target, next_bundles)

    again = harness("rollback", target.state, target.root)
    assert again.returncode == 0, again.stdout
    assert installed_version(target) == "1.0.0" and shows(target, PAGE_1_0), page(target)


def test_a_differential_bundle_swaps_the_runtime_from_the_sites_copy(installed, next_bundles):
    """A runtime swap with a differential bundle: its k3s is the base's, read from the blob store."""
    target = installed
    done = upgrade(target, next_bundles["diff"], "--runtime-changed")
    assert done.returncode == 0, done.stdout
    assert "moving to k3s" in done.stdout
    assert installed_version(target) == "1.1.0" and shows(target, PAGE_1_1), page(target)


def _refuses_a_corrupted_blob(target: Target, diff: Path, tmp: Path) -> None:
    broken = tmp / "broken" / diff.name
    shutil.copytree(diff, broken)
    carried = [e for e in Bundle.open(broken).files("images/blobs/") if not e.from_base]
    layer = max(carried, key=lambda e: e.size)
    stored = broken / layer.stored_path
    stored.write_bytes(b"X" + stored.read_bytes()[1:])
    before = operations(target)
    refused = from_bundle(target, broken).run("upgrade", "--yes", *target.location(), timeout=600)
    text = " ".join((refused.stdout + refused.stderr).split())
    assert refused.returncode != 0 and "failed verification" in text and layer.stored_path in text, text
    assert operations(target) == before and app_version(target) == "1.0.0" and shows(target, PAGE_1_0)


def _refuses_when_the_site_lost_a_left_out_blob(target: Target, diff: Path) -> None:
    left_out = next(e for e in Bundle.open(diff).index.from_base if e.path.startswith("images/blobs/"))
    data = content_path(target.state / "registry" / "storage", left_out.content_sha256)
    aside = data.with_name("data.aside")
    data.rename(aside)
    try:
        before = operations(target)
        refused = from_bundle(target, diff).run("upgrade", "--yes", *target.location(), timeout=600)
        text = " ".join((refused.stdout + refused.stderr).split())
        assert refused.returncode != 0, text
        assert f"sha256:{left_out.content_sha256}" in text and "missing where the installed site keeps" in text, text
        assert operations(target) == before and app_version(target) == "1.0.0"
    finally:
        aside.rename(data)


def _kept_bundle_is_complete(target: Target, bundles: dict[str, Path]) -> None:
    """What a node joining later needs: the kept index (the differential one), its runtime in the
    blob store, and every image blob of the index in the registry's storage."""
    assert (target.state / "bundle" / "index.json").read_bytes() == (bundles["diff"] / "index.json").read_bytes()
    kept = kept_bundle(target.state)
    require_node_blobs(kept, target.state)
    full = Bundle.open(bundles["full"])
    assert kept.read_bytes("runtime/k3s") == full.read_bytes("runtime/k3s")
    site = site_base(target.state)
    assert all(site.locate(e) is not None for e in kept.files("images/blobs/"))
