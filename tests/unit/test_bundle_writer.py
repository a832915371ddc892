"""The bundle tar is deterministic, plain, and compresses only what is worth it."""

import io
import tarfile

import pytest
import zstandard
from airlift_build.bundle_writer import write_bundle
from airlift_build.files import BundleFile

from installer.bundle import Index
from tests.unit.bundle_helpers import COMPRESSIBLE, META, demo_files, write_demo


def test_same_inputs_give_identical_bytes(tmp_path):
    assert write_demo(tmp_path / "a.tar") == write_demo(tmp_path / "b.tar")


def test_members_are_sorted_with_fixed_metadata_and_index_last(tmp_path):
    write_demo(tmp_path / "b.tar")
    with tarfile.open(tmp_path / "b.tar") as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names[0] == "demo-1.2.3" and names[-1] == "demo-1.2.3/index.json"
    assert names[1:-1] == sorted(names[1:-1])
    for m in members:
        assert (m.mtime, m.uid, m.gid, m.uname, m.gname) == (0, 0, 0, "", "")
        assert m.mode in (0o644, 0o755) and (m.isfile() or m.isdir())
    assert "demo-1.2.3/runtime/k3s.zst" in names
    assert "demo-1.2.3/runtime/noise" in names, "random data does not shrink, so it is stored raw"
    assert "demo-1.2.3/install" in names


def test_index_describes_stored_and_decompressed_bytes(tmp_path):
    write_demo(tmp_path / "b.tar")
    with tarfile.open(tmp_path / "b.tar") as tar:
        index = Index.from_json(tar.extractfile("demo-1.2.3/index.json").read())
        stored = tar.extractfile("demo-1.2.3/runtime/k3s.zst").read()
    k3s = {e.path: e for e in index.files}["runtime/k3s"]
    assert k3s.size == len(stored) < len(COMPRESSIBLE) // 10
    assert k3s.zstd.size == len(COMPRESSIBLE)
    assert [e.path for e in index.files] == sorted(e.path for e in index.files)
    assert (index.name, index.version) == ("demo", "1.2.3")


def test_duplicate_paths_are_a_bug_not_a_bundle():
    files = demo_files() + [BundleFile("install", data=b"again")]
    with pytest.raises(ValueError):
        write_bundle(io.BytesIO(), META, files, lambda f: None)


def test_long_paths_survive_the_rewritten_header(tmp_path):
    """A compressed member's header is rewritten once its size is known; with a name longer than
    the 100 bytes of a plain tar header the extra GNU long-name block must stay in step."""
    long = "resources/" + "deep/" * 30 + "chart.yaml"
    write_demo(tmp_path / "b.tar", demo_files() + [BundleFile(long, data=COMPRESSIBLE, compress=True)])
    with tarfile.open(tmp_path / "b.tar") as tar:
        stored = tar.extractfile(f"demo-1.2.3/{long}.zst").read()
        assert tar.extractfile("demo-1.2.3/install").read().startswith(b"#!/bin/sh")
    assert zstandard.ZstdDecompressor().decompress(stored) == COMPRESSIBLE
