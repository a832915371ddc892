"""Bundle files into the first node's store, and out of a receiving node's store into a layout
the bundle reader opens."""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from installer.bundle import Bundle
from installer.errors import AirliftError
from installer.transfer.bundle_share import SharedFile, place, seed_store, shared_files, wanted
from installer.transfer.store import BlobStore
from tests.unit.bundle_helpers import COMPRESSIBLE, RANDOM, write_demo


@pytest.fixture
def bundle(tmp_path: Path) -> Bundle:
    write_demo(tmp_path / "b.tar")
    with tarfile.open(tmp_path / "b.tar") as tar:
        tar.extractall(tmp_path / "x", filter="data")
    return Bundle.open(tmp_path / "x" / "demo-1.2.3")


def test_runtime_files_travel_as_stored_and_are_usable_on_the_node(bundle: Bundle, tmp_path: Path) -> None:
    files = shared_files(bundle, ["runtime/"])
    assert [f.stored_path for f in files] == ["runtime/k3s.zst", "runtime/noise"]
    origin = BlobStore(tmp_path / "origin")
    seed_store(origin, bundle, files)
    k3s = files[0]
    assert os.stat(origin.path(k3s.sha256)).st_ino == os.stat(bundle.root / k3s.stored_path).st_ino
    node = BlobStore(tmp_path / "node")
    for digest, _size in wanted(files):  # what the LAN transfer would have delivered
        shutil.copyfile(origin.path(digest), node.path(digest))
    dest = tmp_path / "node-bundle"
    place(node, files, dest)
    shutil.copyfile(bundle.root / "index.json", dest / "index.json")
    on_node = Bundle.open(dest)
    assert on_node.read_bytes("runtime/k3s") == COMPRESSIBLE
    assert on_node.read_bytes("runtime/noise") == RANDOM
    assert (dest / "runtime" / "k3s.zst").stat().st_mode & 0o777 == 0o755


def test_identical_files_travel_once() -> None:
    same = [SharedFile("a", "a", "ab" * 32, 10, 0o644), SharedFile("b", "b", "ab" * 32, 10, 0o644),
            SharedFile("c", "c", "cd" * 32, 5, 0o644)]
    assert wanted(same) == [("ab" * 32, 10), ("cd" * 32, 5)]


def test_placing_what_has_not_arrived_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AirliftError, match="has not been received"):
        place(BlobStore(tmp_path / "s"), [SharedFile("runtime/k3s", "runtime/k3s", "ab" * 32, 1, 0o755)], tmp_path / "d")
    with pytest.raises(AirliftError, match="not a plain relative path"):
        place(BlobStore(tmp_path / "s"), [SharedFile("../etc/passwd", "../etc/passwd", "ab" * 32, 1, 0o644)], tmp_path / "d")


def test_a_newer_version_replaces_the_file_an_older_one_placed(tmp_path: Path) -> None:
    store, dest = BlobStore(tmp_path / "s"), tmp_path / "d"
    placed = []
    for content in (b"k3s v1.30", b"k3s v1.31"):
        digest = hashlib.sha256(content).hexdigest()
        store.path(digest).write_bytes(content)
        place(store, [SharedFile("runtime/k3s", "runtime/k3s", digest, len(content), 0o755)], dest)
        placed.append((dest / "runtime" / "k3s").read_bytes())
    assert placed == [b"k3s v1.30", b"k3s v1.31"]  # an upgrade's runtime, not the one already there
    assert os.path.samefile(dest / "runtime" / "k3s", store.path(hashlib.sha256(b"k3s v1.31").hexdigest()))
    assert sorted(p.name for p in (dest / "runtime").iterdir()) == ["k3s"]  # no staging file left
