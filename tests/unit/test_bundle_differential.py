"""Differential bundles: the index's base fields, what the build leaves out, and how the reader
finds and verifies the files expected from the base."""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import pytest
from airlift_build.bundle_writer import BundleMeta, write_bundle
from airlift_build.differential import check_base, load_base, split
from airlift_build.files import BundleFile

from installer.bundle import BaseRef, Bundle, BundleError, DigestBase, FolderBase, Index, IndexEntry
from installer.bundle.extract import safe_extract
from installer.bundle.index import Content
from installer.cluster_service.kept import site_base
from installer.errors import AirliftError
from installer.registry.populate import content_path
from installer.statedir import StateDir
from installer.transfer.bundle_share import seed_store, shared_files
from installer.transfer.store import BlobStore
from tests.unit.bundle_helpers import COMPRESSIBLE, META, demo_files, write_demo

LAYER = b"layer bytes " * 1000
LAYER_PATH = "images/blobs/sha256/" + hashlib.sha256(LAYER).hexdigest()


def _v1_files() -> list[BundleFile]:
    return [*demo_files(), BundleFile(LAYER_PATH, data=LAYER, compress=True)]


def _v2_files() -> list[BundleFile]:
    """Version 1.3.0: same layer and k3s, a new runtime/noise, a changed installer and resources."""
    changed = {"install": BundleFile("install", data=b"#!/bin/sh\necho install 1.3\n", mode=0o755),
               "runtime/noise": BundleFile("runtime/noise", data=b"new noise" * 100, compress=True),
               "resources/app.yaml": BundleFile("resources/app.yaml", data=b"kind: ConfigMap\n")}
    return [changed.get(f.path, f) for f in _v1_files()]


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """Version 1.2.3, written as a tarball and unpacked beside it."""
    write_demo(tmp_path / "demo-1.2.3.tar", _v1_files())
    safe_extract(tmp_path / "demo-1.2.3.tar", tmp_path / "v1")
    return tmp_path / "demo-1.2.3.tar"


def _write_diff(tmp_path: Path, base_tar: Path) -> Path:
    old = load_base(base_tar)
    parts = split(_v2_files(), old)
    buf = io.BytesIO()
    write_bundle(buf, BundleMeta("demo", "1.3.0", "0.1.0", base=old.ref), parts.carried, lambda f: None,
                 parts.from_base)
    (tmp_path / "diff.tar").write_bytes(buf.getvalue())
    safe_extract(tmp_path / "diff.tar", tmp_path / "v2")
    return tmp_path / "v2" / "demo-1.3.0"


def test_a_full_index_has_no_base_fields():
    index = Index("demo", "1", "0.1.0", (IndexEntry("a", 1, "0" * 64, 0o644),))
    doc = json.loads(index.to_json())
    assert "base" not in doc and "from_base" not in doc["files"][0]


def test_base_fields_round_trip():
    entry = IndexEntry("runtime/k3s", 5, "1" * 64, 0o755, Content(9, "2" * 64), from_base=True)
    index = Index("demo", "2", "0.1.0", (entry, IndexEntry("install", 3, "3" * 64, 0o755)),
                  base=BaseRef("demo", "1", "4" * 64))
    again = Index.from_json(index.to_json())
    assert (again.base, set(again.files)) == (index.base, set(index.files))
    assert [e.path for e in again.from_base] == ["runtime/k3s"]
    assert [e.path for e in again.carried] == ["install"]


def test_files_from_a_base_need_the_base_named():
    doc = json.loads(Index("demo", "2", "0.1.0", (IndexEntry("a", 1, "0" * 64, 0o644, from_base=True),),
                           base=BaseRef("demo", "1", "4" * 64)).to_json())
    del doc["base"]
    with pytest.raises(ValueError, match="no base"):
        Index.from_json(json.dumps(doc).encode())


def test_base_is_read_from_tarball_folder_or_index(base, tmp_path):
    raw = (tmp_path / "v1" / "demo-1.2.3" / "index.json").read_bytes()
    refs = {load_base(p).ref for p in (base, tmp_path / "v1" / "demo-1.2.3",
                                       tmp_path / "v1" / "demo-1.2.3" / "index.json")}
    assert refs == {BaseRef("demo", "1.2.3", hashlib.sha256(raw).hexdigest())}


def test_only_unchanged_image_blobs_and_runtime_files_are_left_out(base):
    parts = split(_v2_files(), load_base(base))
    assert sorted(e.path for e in parts.from_base) == [LAYER_PATH, "runtime/k3s"]
    carried = {f.path for f in parts.carried}
    assert {"install", "runtime/noise", "resources/app.yaml", "images/index.json"} <= carried
    old = {e.path: e for e in load_base(base).index.files}
    assert all(e.size == old[e.path].size and e.sha256 == old[e.path].sha256 for e in parts.from_base)
    assert parts.saved_bytes == old["runtime/k3s"].size + old[LAYER_PATH].size


def test_unchanged_installer_and_app_files_are_still_carried(base):
    parts = split(_v1_files(), load_base(base))
    assert {f.path for f in parts.carried} == {"install", "images/index.json", "resources/app.yaml"}


def test_a_runtime_file_whose_mode_changed_is_carried(base):
    files = [BundleFile(f.path, data=f.data, mode=0o644, compress=True) if f.path == "runtime/k3s" else f
             for f in _v2_files()]
    assert "runtime/k3s" in {f.path for f in split(files, load_base(base)).carried}


def test_another_application_or_the_same_version_is_refused(base):
    old = load_base(base)
    with pytest.raises(AirliftError, match="not of other"):
        check_base(old, "other", "1.3.0")
    with pytest.raises(AirliftError, match="itself"):
        check_base(old, "demo", "1.2.3")
    check_base(old, "demo", "1.3.0")


def test_the_differential_bundle_verifies_without_its_base(base, tmp_path):
    diff = _write_diff(tmp_path, base)
    assert not (diff / "runtime" / "k3s.zst").exists()
    bundle = Bundle.open(diff)
    assert bundle.is_differential and bundle.index.base.version == "1.2.3"
    bundle.verify()
    with pytest.raises(BundleError) as err:
        bundle.read_bytes("runtime/k3s")
    assert "expected from the base bundle demo 1.2.3" in err.value.problems[0]


def test_left_out_files_are_read_and_verified_through_the_base(base, tmp_path):
    diff = _write_diff(tmp_path, base)
    bundle = Bundle.open(diff, base=FolderBase(tmp_path / "v1" / "demo-1.2.3"))
    bundle.verify()
    assert bundle.read_bytes("runtime/k3s") == COMPRESSIBLE
    assert bundle.read_bytes(LAYER_PATH) == LAYER
    (tmp_path / "v1" / "demo-1.2.3" / "runtime" / "k3s.zst").write_bytes(b"altered")
    with pytest.raises(BundleError) as err:
        bundle.verify()
    assert any("runtime/k3s from the base" in p for p in err.value.problems)


def test_a_digest_base_finds_stored_bytes_or_decompressed_content(base, tmp_path):
    diff = _write_diff(tmp_path, base)
    stored, content = tmp_path / "stored", tmp_path / "content"
    stored.mkdir()
    content.mkdir()
    k3s = Bundle.open(diff).entry("runtime/k3s")
    (stored / k3s.sha256).write_bytes((tmp_path / "v1" / "demo-1.2.3" / k3s.stored_path).read_bytes())
    (content / hashlib.sha256(LAYER).hexdigest()).write_bytes(LAYER)
    bundle = Bundle.open(diff, base=DigestBase(lambda h: stored / h, lambda h: content / h))
    bundle.verify()
    assert bundle.read_bytes("runtime/k3s") == COMPRESSIBLE
    assert not bundle.location(LAYER_PATH).compressed


def test_a_left_out_file_put_into_the_folder_is_reported(base, tmp_path):
    diff = _write_diff(tmp_path, base)
    (diff / "runtime" / "k3s.zst").write_bytes(b"x")
    with pytest.raises(BundleError, match="1 problem"):
        Bundle.open(diff).verify()


def test_files_from_the_base_need_a_base_in_the_meta():
    with pytest.raises(ValueError):
        write_bundle(io.BytesIO(), META, demo_files(), lambda f: None,
                     [IndexEntry("runtime/x", 1, "0" * 64, 0o755, from_base=True)])


def _site(tmp_path: Path, diff: Path, *, layer: bool = True) -> Path:
    """A state directory holding the base's runtime in its blob store and its layer in the registry."""
    state = tmp_path / "state"
    k3s = Bundle.open(diff).entry("runtime/k3s")
    store = BlobStore(StateDir(state).blobs)
    store.adopt(k3s.sha256, tmp_path / "v1" / "demo-1.2.3" / k3s.stored_path)
    if layer:
        data = content_path(StateDir(state).registry_storage, hashlib.sha256(LAYER).hexdigest())
        data.parent.mkdir(parents=True)
        data.write_bytes(LAYER)
    return state


def test_the_site_base_finds_the_runtime_in_the_blob_store_and_blobs_in_the_registry(base, tmp_path):
    diff = _write_diff(tmp_path, base)
    bundle = Bundle.open(diff, site_base(_site(tmp_path, diff)))
    bundle.require_base()
    bundle.verify()
    assert bundle.read_bytes("runtime/k3s") == COMPRESSIBLE and bundle.read_bytes(LAYER_PATH) == LAYER


def test_a_blob_the_site_lacks_is_named_before_anything_is_read(base, tmp_path):
    diff = _write_diff(tmp_path, base)
    bundle = Bundle.open(diff, site_base(_site(tmp_path, diff, layer=False)))
    with pytest.raises(AirliftError) as err:
        bundle.require_base()
    assert "missing where the installed site keeps them" in err.value.message
    assert f"{LAYER_PATH} (blob sha256:{hashlib.sha256(LAYER).hexdigest()})" in err.value.details
    assert "full bundle of demo 1.3.0" in err.value.hint


def test_the_site_store_keeps_a_left_out_runtime_file_once(base, tmp_path):
    diff = _write_diff(tmp_path, base)
    state = _site(tmp_path, diff)
    store = BlobStore(StateDir(state).blobs)
    before = store.digests()
    bundle = Bundle.open(diff, site_base(state))
    seed_store(store, bundle, shared_files(bundle, ["runtime/"]))
    noise = bundle.entry("runtime/noise")
    assert store.digests() == sorted({*before, noise.sha256})  # the carried file joins, k3s was there
    assert os.path.samefile(store.path(noise.sha256), diff / noise.stored_path)  # a hard link, no copy
