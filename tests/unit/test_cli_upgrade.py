"""`./install upgrade` on the command line: the diff first, then the question (or --yes, or
--dry-run), refusals as plain errors with exit 2, Ctrl-C at the question changing nothing."""

from __future__ import annotations

import dataclasses
import sys
import types

import pytest

from installer import cli
from installer.cli import commands
from installer.plan import PlanStore
from tests.unit.upgrade_cases import V1, V2, add_operation, install_state, make_bundle


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """hello 1.0.0 installed in tmp_path/state; ./install runs from the unpacked 1.1.0 bundle, as root."""
    v1 = make_bundle(tmp_path / "hello-1.0.0", V1)
    paths = install_state(tmp_path / "state", v1)
    new = make_bundle(tmp_path / "hello-1.1.0", V2)
    monkeypatch.setenv("AIRLIFT_BUNDLE_DIR", str(new.root))
    monkeypatch.setattr(commands.os, "geteuid", lambda: 0)
    monkeypatch.setenv("COLUMNS", "300")  # no wrapped lines to match across
    return paths, new


def upgrade(paths, *flags: str) -> int:
    return cli.main(["upgrade", *flags, "--state-dir", str(paths.root), "--root", str(paths.root.parent / "root")])


@pytest.fixture
def engine(monkeypatch):
    """The operation engine (installer.upgrade.run), recording what it is asked to do."""
    calls = []
    module = types.ModuleType("installer.upgrade.run")
    module.upgrade = lambda *args: calls.append(args)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "installer.upgrade.run", module)
    return calls


def on_terminal(monkeypatch, reply):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)

    def answer():
        if isinstance(reply, BaseException):
            raise reply
        return reply

    monkeypatch.setattr(commands, "typed_line", answer)


def test_dry_run_prints_the_diff_and_changes_nothing(setup, engine, capsys):
    paths, _ = setup
    before = sorted(p.name for p in paths.root.iterdir())
    assert upgrade(paths, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Upgrade hello 1.0.0 → 1.1.0" in out and "~ Deployment default/hello-web" in out
    assert "Dry run: nothing was changed." in out
    assert engine == [] and sorted(p.name for p in paths.root.iterdir()) == before


def test_yes_skips_the_question_and_hands_the_diff_to_the_engine(setup, engine, capsys):
    paths, new = setup
    assert upgrade(paths, "--yes") == 0
    ((bundle_dir, state, root, bus, diff),) = engine
    assert (bundle_dir, state, root) == (new.root, paths.root, paths.root.parent / "root")
    assert (diff.from_version, diff.to_version) == ("1.0.0", "1.1.0")


def test_without_a_terminal_or_yes_it_refuses_naming_yes(setup, engine, monkeypatch, capsys):
    paths, _ = setup
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    assert upgrade(paths) == 2
    out = capsys.readouterr().out
    assert "Upgrade hello 1.0.0 → 1.1.0" in out  # the diff came first
    assert "no terminal to ask" in out and "./install upgrade --yes" in out and engine == []


@pytest.mark.parametrize(("reply", "code"), [("y", 0), ("yes", 0), ("n", 1), ("", 1)])
def test_the_question_on_a_terminal(setup, engine, monkeypatch, capsys, reply, code):
    paths, _ = setup
    on_terminal(monkeypatch, reply)
    assert upgrade(paths) == code
    out = capsys.readouterr().out
    assert "Upgrade hello 1.0.0 → 1.1.0? [y/N]" in out
    assert len(engine) == (1 if code == 0 else 0)
    if code:
        assert "Nothing was changed; hello 1.0.0 stays installed." in out


def test_ctrl_c_at_the_question_changes_nothing_and_exits_130(setup, engine, monkeypatch, capsys):
    paths, _ = setup
    on_terminal(monkeypatch, KeyboardInterrupt())
    assert upgrade(paths) == 130
    out = capsys.readouterr().out
    assert "Interrupted: nothing was changed; hello 1.0.0 stays installed." in out and "Traceback" not in out
    assert engine == []


def test_a_refusal_is_a_plain_error_with_exit_2(setup, monkeypatch, capsys):
    paths, _ = setup
    monkeypatch.setenv("AIRLIFT_BUNDLE_DIR", str(make_bundle(paths.root.parent / "old", dataclasses.replace(V1, version="0.9.0")).root))
    assert upgrade(paths, "--dry-run") == 2
    out = capsys.readouterr().out
    assert "Error: This bundle holds hello 0.9.0, older than the installed 1.0.0" in out
    assert "What to do:" in out and "./install rollback" in out and "Traceback" not in out


def test_a_corrupted_blob_in_the_new_bundle_stops_it_before_the_diff(setup, engine, capsys):
    paths, new = setup
    blob = next(e for e in new.files("images/blobs/"))
    (new.root / blob.path).write_bytes(b"not the layer")
    assert upgrade(paths, "--yes") == 1
    out = capsys.readouterr().out
    assert "failed verification" in out and blob.path in out
    assert "Upgrade hello 1.0.0" not in out and engine == []


def test_it_needs_root_unless_it_only_shows_the_diff(setup, engine, monkeypatch, capsys):
    paths, _ = setup
    monkeypatch.setattr(commands.os, "geteuid", lambda: 1000)
    assert upgrade(paths, "--yes") == 2
    assert "needs root to upgrade the installed application" in capsys.readouterr().out
    assert upgrade(paths, "--dry-run") == 0


def test_an_unfinished_install_is_refused(setup, capsys):
    paths, _ = setup
    PlanStore(paths.root).record("/cluster-service", "failed", {"message": "boom"})
    assert upgrade(paths, "--dry-run") == 2
    assert "has not completed (phase /cluster-service failed)" in capsys.readouterr().out



def test_an_upgrade_that_stopped_part_way_is_carried_on(setup, engine, monkeypatch, capsys):
    paths, _ = setup
    add_operation(paths, "upgrade", "node-1", "failed", ("1.0.0", "1.1.0"))
    on_terminal(monkeypatch, "y")
    assert upgrade(paths) == 0
    out = capsys.readouterr().out
    assert "The upgrade of hello from 1.0.0 to 1.1.0 stopped part way (upgrade-node-1-0123abcd); this run carries it on" in out
    assert "Continue the upgrade of hello 1.0.0 → 1.1.0? [y/N]" in out and len(engine) == 1
