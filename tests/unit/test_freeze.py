"""The freeze cache: rebuilt when the installer changes, reused when only the application does."""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from airlift_build import freeze


def make_repo(root: Path) -> Path:
    files = {
        "installer/__init__.py": "x = 1\n",
        "installer/__pycache__/x.cpython-311.pyc": "compiled",
        "wizard/app.py": "app = 1\n",
        "static/app.css": "body {}\n",
        "templates/index.html": "<p>hi</p>\n",
        "packaging/airlift.spec": "# spec\n",
        "requirements.txt": "Flask==3.1.3\n",
        "examples/hello/app.yaml": "kind: Bundle\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def key(repo: Path) -> str:
    return freeze.inputs_hash(repo, freeze.source_files(repo))


def test_inputs_are_the_installer_sources_not_caches_nor_the_application(tmp_path):
    repo = make_repo(tmp_path)
    names = [str(p.relative_to(repo)) for p in freeze.source_files(repo)]
    assert names == sorted(names)
    assert "installer/__init__.py" in names and "static/app.css" in names
    assert "packaging/airlift.spec" in names and "requirements.txt" in names
    assert not [n for n in names if "__pycache__" in n or n.startswith("examples/")]


@pytest.mark.parametrize("changed, rebuilds", [
    ("installer/__init__.py", True),
    ("templates/index.html", True),
    ("requirements.txt", True),
    ("packaging/airlift.spec", True),
    ("examples/hello/app.yaml", False),
    ("installer/__pycache__/x.cpython-311.pyc", False),
])
def test_the_key_changes_only_with_what_is_frozen(tmp_path, changed, rebuilds):
    repo = make_repo(tmp_path)
    before = key(repo)
    (repo / changed).write_text("changed\n")
    assert (key(repo) != before) is rebuilds


def test_a_renamed_file_changes_the_key(tmp_path):
    repo = make_repo(tmp_path)
    before = key(repo)
    (repo / "static/app.css").rename(repo / "static/other.css")
    assert key(repo) != before


def test_cached_build_runs_the_build_once(tmp_path):
    calls = []

    def build(work: Path) -> Path:
        calls.append(work)
        out = work / "dist" / "thing"
        out.mkdir(parents=True)
        (out / "exe").write_text("#!/bin/sh\n")
        return out

    first = freeze.cached_build(tmp_path / "k1", "thing", build)
    second = freeze.cached_build(tmp_path / "k1", "thing", build)
    assert first == second == tmp_path / "k1" / "thing"
    assert (first / "exe").exists() and len(calls) == 1
    assert [p.name for p in (tmp_path / "k1").iterdir() if p.name != ".lock"] == ["thing"]  # work dir cleaned up


def test_two_builds_at_once_freeze_once_and_both_get_the_result(tmp_path):
    calls, started = [], threading.Event()

    def build(work: Path) -> Path:
        calls.append(work)
        started.set()
        time.sleep(0.3)  # the second caller arrives while this build runs
        out = work / "thing"
        out.mkdir()
        return out

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(freeze.cached_build, tmp_path / "k1", "thing", build)
        started.wait(5)
        second = pool.submit(freeze.cached_build, tmp_path / "k1", "thing", build)
        assert first.result() == second.result() == tmp_path / "k1" / "thing"
    assert len(calls) == 1


def test_a_failed_build_leaves_no_cache_entry(tmp_path):
    def build(work: Path) -> Path:
        (work / "dist").mkdir()
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        freeze.cached_build(tmp_path / "k1", "thing", build)
    assert [p.name for p in (tmp_path / "k1").iterdir()] == [".lock"]


def test_prune_keeps_the_most_recently_used_builds(tmp_path):
    now = time.time()
    for age, name in enumerate(["a", "b", "c", "d", "e"]):
        (tmp_path / name / "airlift").mkdir(parents=True)
        os.utime(tmp_path / name, (now - age * 3600, now - age * 3600))
    (tmp_path / ".build-x").mkdir()  # a build in progress is never touched
    freeze.prune(tmp_path, keep=2, recent_s=1800)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".build-x", "a", "b"]
