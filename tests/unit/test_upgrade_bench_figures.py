"""The upgrade bench's denominators and counters (bench/upgrade_figures.py): a figure is only as
honest as what it divides by, so what counts as new, as needed by a node and as added to the
registry is pinned here."""

import importlib.util
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("upgrade_figures", REPO / "bench" / "upgrade_figures.py")
assert _spec and _spec.loader
figures = importlib.util.module_from_spec(_spec)
sys.modules["upgrade_figures"] = figures  # dataclasses look their module up there
_spec.loader.exec_module(figures)


def entry(path: str, sha: str, size: int) -> dict:
    return {"path": path, "sha256": sha, "size": size}


OLD = [entry("bin/airlift", "i1", 30), entry("images/blobs/sha256/aa", "a", 100),
       entry("images/blobs/sha256/bb", "b", 100), entry("runtime/k3s", "k1", 50),
       entry("runtime/registry", "r", 20)]
NEW = [entry("bin/airlift", "i2", 31), entry("images/blobs/sha256/aa", "a", 100),
       entry("images/blobs/sha256/cc", "c", 100), entry("runtime/k3s", "k2", 60),
       entry("runtime/k3s-copy", "k2", 60), entry("runtime/registry", "r", 20)]


def test_only_the_blobs_the_old_bundle_lacks_are_new():
    assert figures.new_blobs(OLD, NEW) == ["cc"]


def test_a_node_needs_the_changed_files_under_the_prefixes_sent_each_content_once():
    assert figures.node_needs(OLD, NEW, ["runtime/k3s"]) == 60  # k2 travels once; the registry stays
    assert figures.node_needs(OLD, NEW, ["runtime/k3s", "bin/"]) == 91
    assert figures.node_needs(NEW, NEW, ["runtime/", "bin/"]) == 0


def test_registry_bytes_count_added_and_replaced_files_each_inode_once(tmp_path):
    storage = tmp_path / "storage"
    (storage / "blobs").mkdir(parents=True)
    (storage / "blobs" / "kept").write_bytes(b"x" * 10)
    (storage / "blobs" / "rewritten").write_bytes(b"y" * 5)
    before = figures.snapshot(storage)
    (storage / "blobs" / "new").write_bytes(b"z" * 7)
    (tmp_path / "bundle-blob").write_bytes(b"w" * 11)
    os.link(tmp_path / "bundle-blob", storage / "blobs" / "linked")
    os.link(storage / "blobs" / "new", storage / "blobs" / "new-again")  # same bytes under two names
    (storage / "blobs" / "rewritten.tmp").write_bytes(b"y" * 5)
    os.replace(storage / "blobs" / "rewritten.tmp", storage / "blobs" / "rewritten")
    added, linked = figures.added_bytes(before, figures.snapshot(storage))
    assert added == 7 + 11 + 5
    assert linked == 7 + 11  # both names of "new" and the bundle's link share an inode


def test_proc_io_and_ratios_read_as_numbers():
    io = figures.io_counters("rchar: 12\nwchar: 34\nwrite_bytes: 4096\ncancelled_write_bytes: 0\n")
    assert io["write_bytes"] == 4096 and io["wchar"] == 34
    assert figures.ratio(105, 100) == 1.05 and figures.ratio(1, 0) is None


def test_phase_seconds_run_from_first_start_to_last_completion():
    events = [{"kind": "operation", "status": "started", "time": 0.0},
              {"kind": "phase", "status": "started", "phase": "/registry", "time": 1.0},
              {"kind": "phase", "status": "failed", "phase": "/registry", "time": 2.0},
              {"kind": "phase", "status": "started", "phase": "/registry", "time": 5.0},
              {"kind": "phase", "status": "completed", "phase": "/registry", "time": 7.5},
              {"kind": "phase", "status": "started", "phase": "/gc", "time": 8.0}]
    assert figures.phase_seconds(events) == {"/registry": 6.5}
