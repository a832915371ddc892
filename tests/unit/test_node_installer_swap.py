"""A node's kept installer through an upgrade and a rollback (the agent task `installer`): the new
one comes from the bundle the node received, the old one is kept for a rollback, and the task run
again after a crash at any step neither fails nor loses a copy."""

import hashlib
import os
from pathlib import Path

import pytest

from installer.bundle.index import Index, IndexEntry
from installer.errors import AirliftError
from installer.events import EventBus
from installer.host import Host
from installer.installer_copy import kept_version
from installer.node_agent.installer_swap import installer
from installer.node_agent.tasks import TASKS, AgentContext
from installer.services import manager_for
from installer.statedir import StateDir


def _received_bundle(state: Path, version: str) -> None:
    """What /distribute leaves on a node: the index and the bundle's bin/ under <state>/bundle."""
    folder = StateDir(state).bundle
    entries = []
    for rel, data, mode in (("bin/airlift", f"#!/bin/sh\necho installer {version} \"$@\"\n".encode(), 0o755),
                            ("bin/_internal/lib.so", f"lib {version}".encode(), 0o644)):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
        entries.append(IndexEntry(rel, len(data), hashlib.sha256(data).hexdigest(), mode))
    (folder / "index.json").write_bytes(Index("hello", version, "0.1.0", tuple(entries)).to_json())


def _kept(state: Path, version: str) -> None:
    """The installer the node kept at install time."""
    kept = StateDir(state).installer
    (kept / "bin").mkdir(parents=True)
    (kept / "bin" / "airlift").write_text(f"#!/bin/sh\necho installer {version}\n")
    (kept / "install").write_text("#!/bin/sh\n")
    (kept / "bundle-version").write_text(version + "\n")


@pytest.fixture
def ctx(tmp_path):
    host = Host(tmp_path / "root")
    state = tmp_path / "state"
    return AgentContext(host, manager_for(host, state), state, EventBus(), "node-2", "10.0.0.2", "t" * 32,
                        None, "fp")  # type: ignore[arg-type]


def _run(ctx, version, source):
    return installer(ctx, {"phase": "/installer", "version": version, "source": source})


def test_upgrade_lays_out_the_received_installer_keeps_the_old_and_restarts_the_agent(ctx):
    _kept(ctx.state_dir, "1.0.0")
    _received_bundle(ctx.state_dir, "1.1.0")
    assert _run(ctx, "1.1.0", "bundle") == {"changed": True}
    paths = StateDir(ctx.state_dir)
    assert kept_version(paths.installer) == "1.1.0"
    assert kept_version(paths.previous_installer) == "1.0.0"
    assert os.access(paths.installer / "bin" / "airlift", os.X_OK)
    assert "installer 1.1.0" in (paths.installer / "bin" / "airlift").read_text()
    assert (paths.installer / "install").read_text().startswith("#!/bin/sh")
    assert not (paths.bundle / "bin").exists()  # laid out: the received copy is gone
    assert ctx.restart
    assert "installer" in TASKS and "prune" in TASKS


def test_the_upgrade_run_again_keeps_the_old_copy_even_after_a_crash_between_the_renames(ctx):
    _kept(ctx.state_dir, "1.0.0")
    _received_bundle(ctx.state_dir, "1.1.0")
    paths = StateDir(ctx.state_dir)
    paths.previous.mkdir()
    os.replace(paths.installer, paths.previous_installer)  # the crash: old moved, new not yet in place
    _run(ctx, "1.1.0", "bundle")
    assert kept_version(paths.installer) == "1.1.0"
    assert kept_version(paths.previous_installer) == "1.0.0"
    ctx.restart = False
    assert _run(ctx, "1.1.0", "bundle") == {"changed": False}  # done already: nothing moves
    assert kept_version(paths.previous_installer) == "1.0.0" and not ctx.restart


def test_rollback_puts_the_previous_installer_back_and_refuses_a_missing_one(ctx):
    _kept(ctx.state_dir, "1.0.0")
    _received_bundle(ctx.state_dir, "1.1.0")
    _run(ctx, "1.1.0", "bundle")
    assert _run(ctx, "1.0.0", "previous") == {"changed": True}
    paths = StateDir(ctx.state_dir)
    assert kept_version(paths.installer) == "1.0.0" and not paths.previous_installer.exists()
    assert _run(ctx, "1.0.0", "previous") == {"changed": False}
    with pytest.raises(AirliftError, match="node-2 keeps no previous installer"):
        _run(ctx, "0.9.0", "previous")


def test_an_upgrade_refuses_when_the_node_has_not_received_that_version(ctx):
    _kept(ctx.state_dir, "1.0.0")
    _received_bundle(ctx.state_dir, "1.1.0")
    with pytest.raises(AirliftError, match="holds the bundle index of 1.1.0, not 1.2.0"):
        _run(ctx, "1.2.0", "bundle")
    assert kept_version(StateDir(ctx.state_dir).installer) == "1.0.0"
