"""The bundle tar is deterministic, plain, and compresses only what is worth it."""

import hashlib
import io
import os
import tarfile
import threading

import pytest
import zstandard
from airlift_build.blobstore import DigestMismatch
from airlift_build.bundle_writer import write_bundle
from airlift_build.files import BundleFile, Claim
from airlift_build.prepare import source_state

from installer.bundle import Index
from installer.errors import AirliftError
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


def _claimed(tmp_path, data: bytes, announced: bytes, compress: bool) -> BundleFile:
    src = tmp_path / "blob"
    src.write_bytes(data)
    return BundleFile(f"images/blobs/sha256/{'b' * 64}", source=src, compress=compress,
                      sha256="sha256:" + hashlib.sha256(announced).hexdigest(),
                      claim=Claim("oci:layout (docker.io/demo/app:1)", src))


@pytest.mark.parametrize("data", [COMPRESSIBLE, os.urandom(64 * 1024)], ids=["compressed", "raw"])
def test_a_blob_that_does_not_match_its_claim_fails_the_bundle(tmp_path, data):
    damaged = _claimed(tmp_path, data, b"the announced bytes", compress=True)
    with pytest.raises(DigestMismatch, match=r"in oci:layout \(docker.io/demo/app:1\) has digest") as err:
        write_bundle(io.BytesIO(), META, demo_files() + [damaged], lambda f: None)
    assert str(tmp_path / "blob") in err.value.hint
    assert not [t for t in threading.enumerate() if t.name.startswith("bundle-prepare")], \
        "the workers ahead of the failed file stop with it"


def test_a_claim_that_holds_is_written_like_a_checked_digest(tmp_path):
    good = _claimed(tmp_path, COMPRESSIBLE, COMPRESSIBLE, compress=True)
    checked = BundleFile(good.path, source=good.source, compress=True, sha256=good.sha256)
    assert write_demo(tmp_path / "a.tar", demo_files() + [good]) == \
        write_demo(tmp_path / "b.tar", demo_files() + [checked])


def test_a_checked_raw_file_is_copied_whole_into_a_real_file(tmp_path):
    """A raw file whose digest is known is copied by the kernel; the output is still a plain tar."""
    data = os.urandom(3 * 1024 * 1024 + 17)
    src = tmp_path / "layer"
    src.write_bytes(data)
    blob = BundleFile("images/blobs/sha256/" + "c" * 64, source=src, compress=True,
                      sha256="sha256:" + hashlib.sha256(data).hexdigest())
    many = [BundleFile(f"resources/r{i:03}.yaml", data=f"n: {i}\n".encode()) for i in range(50)]
    with open(tmp_path / "b.tar", "w+b") as out:
        write_bundle(out, META, demo_files() + [blob] + many, lambda f: None)
    with tarfile.open(tmp_path / "b.tar") as tar:
        assert tar.extractfile(f"demo-1.2.3/{blob.path}").read() == data
        assert tar.extractfile("demo-1.2.3/resources/r042.yaml").read() == b"n: 42\n"
        index = Index.from_json(tar.extractfile("demo-1.2.3/index.json").read())
    assert {e.path: e.sha256 for e in index.files}[blob.path] == blob.sha256.removeprefix("sha256:")


def test_a_source_linked_elsewhere_meanwhile_is_unchanged_and_one_written_to_is_changed(tmp_path):
    """Another build hard-linking the same layer into its own blob store, then removing that
    link, changes nothing the bundle holds; a write does."""
    src = tmp_path / "layer"
    src.write_bytes(b"layer bytes")
    os.utime(src, ns=(10**9, 10**9))  # written a while ago: a write now moves its time
    before = source_state(src)
    os.link(src, tmp_path / "another-builds-link")
    (tmp_path / "another-builds-link").unlink()
    assert source_state(src) == before
    with src.open("r+b") as f:
        f.write(b"L")
    assert source_state(src) != before


def test_a_raw_file_that_changes_while_it_is_copied_fails_the_bundle(tmp_path, monkeypatch):
    """The writer copies a raw file in the kernel while a worker hashes it; a file written to
    meanwhile (seen as a changed inode, size or time) would leave the index wrong."""
    import airlift_build.tarwriter as tarwriter

    src = tmp_path / "k3s"
    src.write_bytes(os.urandom(64 * 1024))
    monkeypatch.setattr(tarwriter, "source_state", lambda path: (0, 0, 0, 0))
    with pytest.raises(AirliftError, match="changed while the bundle was written"):
        write_bundle(io.BytesIO(), META, demo_files() + [BundleFile("runtime/k3s-2", source=src)],
                     lambda f: None)
