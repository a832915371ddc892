"""`./install upgrade --dry-run` and `./install status --json` against hello 1.0.0 installed on this
machine (temp root + state dir, the k3s stand-in), as the operator runs them: the diff from a 1.1.0
bundle, the refusal of the same version, Ctrl-C at the question on a real terminal, and the
status document."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml

from installer.bundle import Bundle
from installer.bundle.index import INDEX_NAME, Index, IndexEntry
from tests.fixtures.terminal import run_on_terminal
from tests.integration.installer_run import Target

pytestmark = pytest.mark.integration

GREETING = "Hello from Airlift"


@pytest.fixture(scope="module")
def installed(hello_bundle_dir, tmp_path_factory):
    target = Target.installed(hello_bundle_dir, tmp_path_factory.mktemp("upgrade-host"))
    yield target
    target.uninstall()


@pytest.fixture(scope="module")
def next_bundle(hello_bundle_dir, tmp_path_factory) -> Path:
    """hello 1.1.0: the 1.0.0 bundle with another version, greeting and release notes."""
    folder = tmp_path_factory.mktemp("next") / "hello-1.1.0"
    shutil.copytree(hello_bundle_dir, folder)
    bundle = Bundle.open(folder)

    def manifest(text: str) -> str:
        doc = yaml.safe_load(text)
        doc["metadata"]["resourceVersion"] = "1.1.0"
        doc["releaseNotes"] = "# hello 1.1.0\n\n- A new greeting.\n"
        return yaml.safe_dump(doc, sort_keys=False)

    changes = {"app.yaml": manifest,
               "resources/hello.yaml": lambda text: text.replace(GREETING, f"{GREETING} 1.1")}
    entries = {e.path: e for e in bundle.index.files}
    for path, change in changes.items():
        entries[path] = _rewrite(bundle, path, change)
    index = Index(bundle.name, "1.1.0", bundle.index.airlift_version, tuple(entries.values()), bundle.index.k3s_version)
    (folder / INDEX_NAME).write_bytes(index.to_json())
    return folder


def _rewrite(bundle: Bundle, path: str, change) -> IndexEntry:
    """Store the changed file plainly (dropping a .zst copy) and return its new index entry."""
    data = change(bundle.read_bytes(path).decode()).encode()
    stored = bundle.root / bundle.entry(path).stored_path
    stored.unlink()
    (bundle.root / path).write_bytes(data)
    return IndexEntry(path, len(data), hashlib.sha256(data).hexdigest(), bundle.entry(path).mode)


def upgrade(target: Target, bundle: Path, *flags: str):
    return Target(bundle, target.root, target.state, target.registry_port, target.api_port,
                  target.agent_port).run("upgrade", *flags, *target.location())


def test_status_json_is_one_document_with_versions_nodes_operations_and_health(installed):
    result = installed.run("status", "--json", *installed.location())
    assert result.returncode == 0, result.stdout + result.stderr
    status = json.loads(result.stdout)
    assert status["app"] == {"name": "hello", "version": "1.0.0"}
    assert status["runtime"]["name"] == "k3s" and status["runtime"]["version"] == "v1.30.6+k3s1"
    (node,) = status["nodes"]
    assert node["first"] and node["ready"] and node["profile"] == "master"
    assert node["runtime_version"] == "v1.30.6+k3s1" and node["installer_version"] == status["installer"]["version"]
    assert status["operations"] == []
    assert {c["check"] for c in status["health"]} >= {"registry answering", "k3s running"}
    assert all(c["ok"] for c in status["health"]) and status["healthy"] is True


def test_status_shows_the_versions_in_words(installed):
    result = installed.run("status", *installed.location())
    assert result.returncode == 0, result.stdout
    assert "hello 1.0.0 on k3s v1.30.6+k3s1, Airlift " in result.stdout


def test_dry_run_prints_what_would_change_and_changes_nothing(installed, next_bundle):
    before = (installed.state / "bundle" / INDEX_NAME).read_bytes()
    result = upgrade(installed, next_bundle, "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Verifying hello 1.1.0" in out
    assert "Upgrade hello 1.0.0 → 1.1.0\n" in out
    assert "  # hello 1.1.0" in out and "- A new greeting." in out
    assert "Images: unchanged" in out
    assert "  ~ Deployment default/hello-web" in out and f"+          value: {GREETING} 1.1" in out
    assert "Runtime: k3s v1.30.6+k3s1, unchanged" in out
    assert "Nodes against the new profiles (every node meets its profile" in out
    assert "Dry run: nothing was changed." in out
    assert (installed.state / "bundle" / INDEX_NAME).read_bytes() == before
    assert not (installed.state / "operations").exists()


def test_the_installed_version_again_is_refused(installed, hello_bundle_dir):
    result = upgrade(installed, hello_bundle_dir, "--dry-run")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "hello 1.0.0 is already installed" in result.stdout and "What to do:" in result.stdout


def test_without_a_terminal_it_asks_for_yes(installed, next_bundle):
    result = upgrade(installed, next_bundle)
    assert result.returncode == 2
    assert "Upgrade hello 1.0.0 → 1.1.0" in result.stdout and "./install upgrade --yes" in result.stdout


def test_ctrl_c_at_the_question_changes_nothing(installed, next_bundle):
    target = Target(next_bundle, installed.root, installed.state, installed.registry_port, installed.api_port,
                    installed.agent_port)
    code, screen = run_on_terminal(target.argv(["upgrade", *installed.location()]), target.env(),
                                   [(b"[y/N] ", b"\x03")], at_once=True)
    assert code == 130, screen
    assert "Interrupted: nothing was changed; hello 1.0.0 stays installed." in screen
    assert "Traceback" not in screen and not (installed.state / "operations").exists()
