"""What `./install upgrade` refuses before anything changes (installer/upgrade/refusals.py and
installed.py), each refusal naming both versions and what to run instead; and which of two
versions is newer (versions.py)."""

from __future__ import annotations

import dataclasses
import fcntl
import os

import pytest

from installer.errors import AirliftError
from installer.plan import PlanStore
from installer.statedir import StateDir
from installer.upgrade.installed import find_installed
from installer.upgrade.refusals import check_upgrade
from installer.upgrade.version_order import compare_versions
from tests.unit.upgrade_cases import V1, V2, add_operation, install_state, make_bundle, make_differential


def fresh(tmp_path):
    v1 = make_bundle(tmp_path / "hello-1.0.0", V1)
    return v1, install_state(tmp_path / "state", v1)


def other_application(tmp_path, v1, paths):
    return make_bundle(tmp_path / "other", dataclasses.replace(V2, name="other"))


def same_version(tmp_path, v1, paths):
    return make_bundle(tmp_path / "same", dataclasses.replace(V2, version="1.0.0"))


def older_version(tmp_path, v1, paths):
    return make_bundle(tmp_path / "older", dataclasses.replace(V2, version="0.9.0"))


def remove_running(tmp_path, v1, paths):
    add_operation(paths, "remove", "node-2", "in_progress")
    return make_bundle(tmp_path / "new", V2)


def rollback_unfinished(tmp_path, v1, paths):
    add_operation(paths, "rollback", "node-1", "in_progress", ("1.1.0", "1.0.0"))
    return make_bundle(tmp_path / "new", V2)


def upgrade_to_another_version_failed(tmp_path, v1, paths):
    add_operation(paths, "upgrade", "node-1", "failed", ("1.0.0", "1.0.5"))
    return make_bundle(tmp_path / "new", V2)


def wrong_base(tmp_path, v1, paths):
    other_base = make_bundle(tmp_path / "hello-0.9.0", dataclasses.replace(V1, version="0.9.0"))
    return make_differential(tmp_path / "diff", V2, other_base)


def install_unfinished(tmp_path, v1, paths):
    PlanStore(paths.root).record("/app", "failed", {"message": "hook failed"})
    return make_bundle(tmp_path / "new", V2)


def nothing_installed(tmp_path, v1, paths):
    paths.plan.unlink()
    return make_bundle(tmp_path / "new", V2)


REFUSALS = [
    (other_application, "This bundle is other 1.1.0, but the application installed here is hello 1.0.0",
     "a newer bundle of hello"),
    (same_version, "hello 1.0.0 is already installed; this bundle holds the same version", "newer than 1.0.0"),
    (older_version, "This bundle holds hello 0.9.0, older than the installed 1.0.0", "./install rollback"),
    (remove_running, "The remove operation remove-node-2-0123abcd has not ended (it is in progress), so hello "
     "cannot be upgraded from 1.0.0 to 1.1.0 now",
     "./install remove node-2"),
    (rollback_unfinished, "The rollback of hello from 1.1.0 to 1.0.0 (rollback-node-1-0123abcd) has not ended",
     "run ./install rollback"),
    (upgrade_to_another_version_failed, "The upgrade of hello from 1.0.0 to 1.0.5 (upgrade-node-1-0123abcd) has not "
     "ended (it is failed), so hello cannot be upgraded from 1.0.0 to 1.1.0 now",
     "run ./install upgrade from the 1.0.5 bundle, or ./install rollback to go back to 1.0.0"),
    (wrong_base, "This differential bundle of hello 1.1.0 upgrades hello 0.9.0 only", "the full bundle of hello 1.1.0"),
    (install_unfinished, "has not completed (phase /app failed)", "./install --resume"),
    (nothing_installed, "Nothing is installed with the state directory", "on the first master"),
]


@pytest.mark.parametrize(("case", "message", "hint"), REFUSALS, ids=[c[0].__name__ for c in REFUSALS])
def test_refused_with_both_versions_and_what_to_run(tmp_path, case, message, hint):
    v1, paths = fresh(tmp_path)
    new = case(tmp_path, v1, paths)
    with pytest.raises(AirliftError) as refused:
        check_upgrade(new, find_installed(paths.root))
    assert message in refused.value.message
    assert hint in (refused.value.hint or "")
    assert refused.value.exit_code == 2


def test_a_running_install_or_upgrade_holding_the_state_lock_is_refused(tmp_path):
    v1, paths = fresh(tmp_path)
    fd = os.open(StateDir(paths.root).lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(AirliftError, match="Another ./install is running"):
            check_upgrade(make_bundle(tmp_path / "new", V2), find_installed(paths.root))
    finally:
        os.close(fd)
    check_upgrade(make_bundle(tmp_path / "new-again", V2), find_installed(paths.root))


PASSES = [
    ("a newer full bundle", lambda tmp_path, v1, paths: make_bundle(tmp_path / "new", V2)),
    ("a differential bundle on the installed version", lambda tmp_path, v1, paths: make_differential(
        tmp_path / "diff", V2, v1)),
    ("finished operations", lambda tmp_path, v1, paths: (
        add_operation(paths, "remove", "node-2", "completed"), add_operation(paths, "expand", "node-3", "failed"),
        make_bundle(tmp_path / "new", V2))[-1]),
    ("continuing a failed upgrade to this version", lambda tmp_path, v1, paths: (
        add_operation(paths, "upgrade", "node-1", "failed", ("1.0.0", "1.1.0")), make_bundle(tmp_path / "new", V2))[-1]),
    ("continuing an upgrade that already moved the installed version", lambda tmp_path, v1, paths: (
        add_operation(paths, "upgrade", "node-1", "in_progress", ("0.9.0", "1.0.0")),
        make_differential(tmp_path / "same", dataclasses.replace(V2, version="1.0.0"),
                          make_bundle(tmp_path / "hello-0.9.0", dataclasses.replace(V1, version="0.9.0"))))[-1]),
]


@pytest.mark.parametrize(("what", "case"), PASSES, ids=[p[0] for p in PASSES])
def test_allowed(tmp_path, what, case):
    v1, paths = fresh(tmp_path)
    check_upgrade(case(tmp_path, v1, paths), find_installed(paths.root))


@pytest.mark.parametrize(("older", "newer"), [
    ("1.0.0", "1.1.0"), ("1.9.0", "1.10.0"), ("1.1.0-rc.1", "1.1.0"), ("1.1.0-alpha", "1.1.0-beta"),
    ("1.0", "1.0.1"), ("v1.2.3", "v1.2.4"), ("2024.1", "2024.02"), ("1.0.0-rc.2", "1.0.0-rc.10"),
])
def test_versions_compare_as_numbers_with_prereleases_first(older, newer):
    assert compare_versions(older, newer) == -1
    assert compare_versions(newer, older) == 1


@pytest.mark.parametrize(("a", "b"), [("1.0.0", "1.0.0"), ("1.0", "1.0.0"), ("1.0.0+build.1", "1.0.0+build.2")])
def test_versions_that_are_the_same(a, b):
    assert compare_versions(a, b) == 0
