"""hello 1.1.0 (examples/hello/next) full and differential against the hello 1.0.0 bundle: the
differential bundle leaves out the layers and runtime 1.0.0 had, carries the new layer and the
installer, verifies on its own, and is refused against another application or itself."""

from __future__ import annotations

import hashlib
import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from installer.bundle import Bundle, FolderBase, safe_extract
from tests.fixtures.build_fixtures import HELLO, make_hello_images, run_build
from tests.integration.build_helpers import fake_k3s

NEXT = HELLO / "next" / "app.yaml"
WEB_NEXT = "docker.io/hello/web:1.1.0"


def _build(tmp: Path, name: str, k3s: Path, *extra: str | Path, manifest: Path = NEXT) -> tuple[Path, str]:
    out = tmp / name
    result = run_build(manifest, "-o", out, "--k3s", k3s, "--no-k3s-images",
                       "--source", f"oci:{make_hello_images()}", *extra)
    assert result.returncode == 0, result.stderr
    return out, result.stderr


def _unpack(tar: Path, tmp: Path) -> Path:
    target = tmp / tar.stem
    safe_extract(tar, target)
    return target / "hello-1.1.0"


@pytest.fixture(scope="module")
def builds(tmp_path_factory, hello_bundle_tar, frozen_k3s_standin):
    """hello 1.1.0 full, and differential against the session's hello 1.0.0 bundle."""
    tmp = tmp_path_factory.mktemp("hello-next")
    full, _ = _build(tmp, "hello-1.1.0.tar", frozen_k3s_standin)
    diff, summary = _build(tmp, "hello-1.1.0-diff.tar", frozen_k3s_standin, "--since", hello_bundle_tar)
    return {"full": _unpack(full, tmp), "diff": _unpack(diff, tmp), "diff_tar": diff, "full_tar": full,
            "summary": summary, "base": hello_bundle_tar}


def _image(bundle: Bundle, ref: str) -> list[str]:
    """The manifest, config and layers of an image, in that order."""
    content = {c.ref: c for c in bundle.image_contents()}[ref]
    return [content.manifest.digest, *(b.digest for b in content.blobs)]


def _layers(bundle: Bundle, ref: str) -> list[str]:
    return _image(bundle, ref)[2:]


def test_the_next_version_changes_the_page_and_adds_a_layer_a_resource_and_hooks(builds, hello_bundle_dir):
    full = Bundle.open(builds["full"])
    old = Bundle.open(hello_bundle_dir)
    old_web = _layers(old, "docker.io/hello/web:1.0.0")
    new_web = _layers(full, WEB_NEXT)
    assert new_web[:-1] == old_web, "1.1.0's image is 1.0.0's layers plus one"
    assert b"Hello from Airlift 1.1" in subprocess.run(
        ["tar", "xO", "www/index.html"], input=full.read_bytes(Bundle.blob_path(new_web[-1])),
        capture_output=True, check=True).stdout
    assert "resources/settings.yaml" in {e.path for e in full.index.files}
    app = (builds["full"] / "app.yaml").read_text()
    assert all(f"{hook}:" in app for hook in ("preUpdate", "update", "rollback"))


def test_the_differential_index_names_its_base_and_lists_every_file(builds, hello_bundle_dir):
    diff, full = Bundle.open(builds["diff"]).index, Bundle.open(builds["full"]).index
    raw = (hello_bundle_dir / "index.json").read_bytes()
    assert (diff.base.name, diff.base.version, diff.base.index_sha256) == \
        ("hello", "1.0.0", hashlib.sha256(raw).hexdigest())
    assert {e.path for e in diff.files} == {e.path for e in full.files}
    full_entries = {e.path: e for e in full.files}
    assert all(full_entries[e.path] == e for e in diff.carried), "carried files are those of the full bundle"


def test_the_differential_bundle_leaves_out_what_the_base_had(builds, hello_bundle_dir):
    diff = Bundle.open(builds["diff"])
    old = Bundle.open(hello_bundle_dir)
    left_out = {e.path for e in diff.index.from_base}
    shared = {Bundle.blob_path(d) for d in _layers(old, "docker.io/hello/web:1.0.0")}
    shared |= {Bundle.blob_path(d) for d in _image(old, "docker.io/hello/hook:1.0.0")}
    assert shared | {"runtime/k3s", "runtime/registry", "runtime/prometheus", "runtime/node-exporter",
                     "runtime/alertmanager"} <= left_out
    new_layer = Bundle.blob_path(_layers(Bundle.open(builds["full"]), WEB_NEXT)[-1])
    carried = {e.path for e in diff.index.carried}
    assert new_layer in carried and "install" in carried and "bin/airlift" in carried
    assert not (builds["diff"] / "runtime").exists()
    assert builds["diff_tar"].stat().st_size < builds["full_tar"].stat().st_size - 20_000_000
    assert f"against hello 1.0.0: {len(left_out)} files left out" in builds["summary"]
    assert "saved vs full" in builds["summary"] and "./install upgrade" in builds["summary"]


def test_the_differential_bundle_verifies_and_says_what_it_expects(builds):
    Bundle.open(builds["diff"]).verify()
    out = subprocess.run([str(builds["diff"] / "install"), "verify"], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    text = " ".join(out.stdout.split())
    expected = len(Bundle.open(builds["diff"]).index.from_base)
    assert "Bundle hello 1.1.0: all" in text and f"expects {expected} files" in text and "hello 1.0.0" in text


def test_with_the_base_unpacked_the_differential_bundle_reads_like_the_full_one(builds, hello_bundle_dir):
    diff = Bundle.open(builds["diff"], base=FolderBase(hello_bundle_dir))
    diff.verify()
    full = Bundle.open(builds["full"])
    assert diff.read_bytes("runtime/k3s") == full.read_bytes("runtime/k3s")
    assert [c.blobs for c in diff.image_contents()] == [c.blobs for c in full.image_contents()]


def test_the_base_may_be_given_as_a_folder_or_its_index(builds, hello_bundle_dir, tmp_path, frozen_k3s_standin):
    for since in (hello_bundle_dir, hello_bundle_dir / "index.json"):
        out, _ = _build(tmp_path, "again.tar", frozen_k3s_standin, "--since", since, "-q")
        assert out.read_bytes() == builds["diff_tar"].read_bytes()


def test_a_new_runtime_is_carried(builds, tmp_path):
    out, _ = _build(tmp_path, "new-k3s.tar", fake_k3s(tmp_path, "v1.31.2+k3s1"), "--since", builds["base"], "-q")
    with tarfile.open(out) as tar:
        index = json.load(tar.extractfile("hello-1.1.0/index.json"))
    k3s = {f["path"]: f for f in index["files"]}["runtime/k3s"]
    assert "from_base" not in k3s and index["k3s_version"] == "v1.31.2+k3s1"


def test_a_base_of_another_application_or_the_same_version_is_refused(builds, tmp_path, frozen_k3s_standin):
    other = run_build(NEXT, "--name", "other", "-o", tmp_path / "o.tar", "--k3s", frozen_k3s_standin,
                      "--no-k3s-images", "--since", builds["base"])
    assert other.returncode == 2 and "not of other" in other.stderr and not (tmp_path / "o.tar").exists()
    same = run_build(HELLO / "app.yaml", "-o", tmp_path / "s.tar", "--k3s", frozen_k3s_standin,
                     "--no-k3s-images", "--since", builds["base"])
    assert same.returncode == 2 and "hello 1.0.0 itself" in same.stderr
    missing = run_build(NEXT, "-o", tmp_path / "m.tar", "--k3s", frozen_k3s_standin, "--no-k3s-images",
                        "--since", tmp_path / "nowhere.tar")
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_a_differential_bundle_cannot_install_a_new_site(builds, tmp_path):
    """Refused before any check or change: it lacks what its base had."""
    out = subprocess.run([str(builds["diff"] / "install"), "--cli", "--state-dir", str(tmp_path / "state"),
                          "--root", str(tmp_path / "root")], capture_output=True, text=True, timeout=300)
    text = " ".join((out.stdout + out.stderr).split())
    assert out.returncode == 2, text
    assert "hello 1.1.0 is a differential bundle" in text and "./install upgrade" in text, text
    assert not (tmp_path / "state").exists() and not (tmp_path / "root").exists()
