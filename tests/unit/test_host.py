"""Host: the root prefix, atomic writes, commands and the choice of service manager."""

import io
import os
import stat

import pytest

from installer.errors import AirliftError
from installer.host import Host


def test_path_maps_host_paths_under_the_root(tmp_path):
    host = Host(tmp_path)
    assert host.path("/etc/rancher/k3s/registries.yaml") == tmp_path / "etc/rancher/k3s/registries.yaml"
    assert host.path("/") == tmp_path.resolve()
    assert Host().path("/etc/hosts") == Host().root / "etc/hosts"


def test_write_file_creates_folders_sets_mode_and_replaces(tmp_path):
    host = Host(tmp_path)
    target = host.path("/etc/airlift/secret.yaml")
    host.write_file(target, "token: a\n", mode=0o600)
    host.write_file(target, b"token: b\n", mode=0o600)
    assert target.read_text() == "token: b\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(target.parent) == ["secret.yaml"], "no temp file left behind"


def test_write_file_copies_a_stream(tmp_path):
    host = Host(tmp_path)
    target = tmp_path / "bin" / "tool"
    host.write_file(target, io.BytesIO(b"\x7fELF" + b"x" * 3_000_000), mode=0o755)
    assert target.stat().st_size == 3_000_004
    assert os.access(target, os.X_OK)


def test_write_file_names_the_file_when_it_cannot_write(tmp_path):
    host = Host(tmp_path)
    (tmp_path / "blocked").write_text("a file, not a folder")
    with pytest.raises(AirliftError) as err:
        host.write_file(tmp_path / "blocked" / "x", "data")
    assert "blocked" in err.value.message or "blocked" in str(err.value.__cause__)


def test_remove_is_idempotent_for_files_links_and_trees(tmp_path):
    host = Host(tmp_path)
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    (tmp_path / "tree" / "sub" / "f").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "tree")
    host.remove(tmp_path / "link")
    assert (tmp_path / "tree" / "sub" / "f").exists(), "removing a symlink must not follow it"
    host.remove(tmp_path / "tree")
    host.remove(tmp_path / "tree")
    assert not (tmp_path / "tree").exists()


def test_prune_empty_parents_stops_at_non_empty_folders_and_the_root(tmp_path):
    host = Host(tmp_path)
    (tmp_path / "etc" / "keep").mkdir(parents=True)
    leaf = tmp_path / "etc" / "rancher" / "k3s" / "config.yaml"
    leaf.parent.mkdir(parents=True)
    host.prune_empty_parents(leaf)
    assert not (tmp_path / "etc" / "rancher").exists()
    assert (tmp_path / "etc" / "keep").is_dir()
    (tmp_path / "etc" / "keep").rmdir()
    host.prune_empty_parents(tmp_path / "etc" / "x")
    assert tmp_path.is_dir() and not (tmp_path / "etc").exists()


def test_run_returns_output_and_raises_naming_the_command(tmp_path):
    host = Host(tmp_path)
    assert host.run(["sh", "-c", "echo $GREETING"], env={"GREETING": "hi"}).stdout == "hi\n"
    assert host.run(["sh", "-c", "exit 3"], check=False).returncode == 3
    with pytest.raises(AirliftError) as err:
        host.run(["sh", "-c", "echo broken >&2; exit 4"])
    assert "exit 4" in err.value.message and "sh -c" in err.value.message
    assert "broken" in err.value.details
    with pytest.raises(AirliftError, match="not found"):
        host.run(["/nonexistent/airlift-tool"])


def test_run_feeds_input_and_times_out_clearly(tmp_path):
    host = Host(tmp_path)
    assert host.run(["cat"], input="rules\n").stdout == "rules\n"
    with pytest.raises(AirliftError, match="timed out"):
        host.run(["sleep", "5"], timeout=0.2)


def test_which_looks_under_the_root_first(tmp_path):
    host = Host(tmp_path)
    tool = host.path("/usr/local/bin/k3s")
    tool.parent.mkdir(parents=True)
    tool.write_text("#!/bin/sh\n")
    assert host.which("k3s") is None or host.which("k3s") != tool  # not executable yet
    tool.chmod(0o755)
    assert host.which("k3s") == tool
    assert host.which("airlift-no-such-tool") is None

