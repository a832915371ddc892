"""The upgrade's diff (installer/upgrade/diff.py) between two hello-like bundles: images with their
new bytes, resources and hooks with unified diffs, the runtime, profiles and whether each node
still meets its profile; the same diff from a differential bundle; and how it reads."""

from __future__ import annotations

import dataclasses
import json

import pytest

from installer.manifest import load_manifest
from installer.upgrade.diff import UpgradeDiff, build_diff
from installer.upgrade.installed import find_installed
from tests.unit.upgrade_cases import FIRST, V1, V2, install_state, make_bundle, make_differential


@pytest.fixture
def v1(tmp_path):
    return make_bundle(tmp_path / "hello-1.0.0", V1)


def diff_to(new, installed_bundle, state, **kw) -> UpgradeDiff:
    install_state(state, installed_bundle, **kw)
    return build_diff(new, load_manifest(new.manifest_path), find_installed(state))


def blob_bytes(bundle) -> dict[str, int]:
    return {e.path: e.size for e in bundle.files("images/blobs/")}


def test_versions_images_and_their_new_bytes(v1, tmp_path):
    v2 = make_bundle(tmp_path / "hello-1.1.0", V2)
    diff = diff_to(v2, v1, tmp_path / "state")
    assert (diff.app, diff.from_version, diff.to_version) == ("hello", "1.0.0", "1.1.0")
    assert "hello 1.0.0" in (diff.release_notes or "")
    assert [i.ref for i in diff.images_added] == ["docker.io/hello/extra:1.1.0"]
    assert diff.images_removed == ()
    (web,) = diff.images_changed
    assert (web.from_ref, web.ref) == ("docker.io/hello/web:1.0.0", "docker.io/hello/web:1.1.0")
    # Every blob file the new bundle has and the installed one had not, counted once.
    new_blobs = {p: s for p, s in blob_bytes(v2).items() if p not in blob_bytes(v1)}
    assert diff.new_bytes == sum(new_blobs.values()) > 0
    assert web.new_bytes + diff.images_added[0].new_bytes >= diff.new_bytes  # the two share no new blob but
    assert web.new_bytes < diff.new_bytes                                    # each brings its own
    assert not any(i.ref == "docker.io/hello/hook:1.0.0" for i in diff.images_changed)  # same digest


def test_resources_and_hooks_with_a_unified_diff_of_each_change(v1, tmp_path):
    v2 = make_bundle(tmp_path / "hello-1.1.0", V2)
    diff = diff_to(v2, v1, tmp_path / "state")
    assert diff.resources_added == ("ConfigMap default/hello-page",)
    assert diff.resources_removed == ()
    (deployment,) = diff.resources_changed
    assert deployment.name == "Deployment default/hello-web"
    assert "--- Deployment default/hello-web (1.0.0)" in deployment.diff
    assert "-          value: Hello from Airlift\n" in deployment.diff
    assert "+          value: Hello from Airlift 1.1\n" in deployment.diff
    assert "+        image: hello/web:1.1.0\n" in deployment.diff
    assert diff.hooks_added == ("update",) and diff.hooks_removed == () and diff.hooks_changed == ()


def test_runtime_and_installer_versions(v1, tmp_path):
    v2 = make_bundle(tmp_path / "hello-1.1.0", V2)
    diff = diff_to(v2, v1, tmp_path / "state")
    assert (diff.runtime_from, diff.runtime_to, diff.runtime_changed) == ("v1.30.6+k3s1", "v1.30.7+k3s1", True)
    same = make_bundle(tmp_path / "same-runtime", dataclasses.replace(V2, k3s=V1.k3s))
    assert diff_to(same, v1, tmp_path / "state-2").runtime_changed is False
    assert (diff.installer_from, diff.installer_to) == ("0.1.0", "0.1.0")


def test_a_differential_bundle_gives_the_same_diff(v1, tmp_path):
    full = diff_to(make_bundle(tmp_path / "hello-1.1.0", V2), v1, tmp_path / "state")
    partial_bundle = make_differential(tmp_path / "hello-1.1.0-diff", dataclasses.replace(V2, k3s=V1.k3s), v1)
    assert not (partial_bundle.root / "runtime" / "k3s").exists()
    partial = diff_to(partial_bundle, v1, tmp_path / "state-2")
    assert partial.differential and partial.base["version"] == "1.0.0"
    assert not full.differential and full.base is None
    assert (partial.images_added, partial.images_changed, partial.new_bytes) == \
        (full.images_added, full.images_changed, full.new_bytes)
    assert partial.runtime_changed is False  # the runtime files it leaves out are the base's


def test_a_raised_requirement_names_the_nodes_that_no_longer_meet_it(v1, tmp_path):
    bigger = make_bundle(tmp_path / "hello-1.1.0", dataclasses.replace(V2, ram_min="16GB"))
    diff = diff_to(bigger, v1, tmp_path / "state", joined=("node-2",))
    master = next(p for p in diff.profiles_changed if p.name == "master")
    assert master.status == "changed"
    assert [(c.field, c.before, c.after) for c in master.changes] == [("RAM minimum", "512.0 MiB", "16.0 GiB")]
    assert [(n.name, n.profile, n.meets) for n in diff.nodes] == [(FIRST, "master", False), ("node-2", "worker", False)]
    assert diff.nodes[0].failures[0].startswith("ram-min: ")
    # Checks that failed under the installed profile too (ports and volumes the saved facts never
    # probed) are not the new version's doing, so they are not reported.
    assert all(f.startswith("ram-min") for n in diff.nodes for f in n.failures)


def test_unchanged_profiles_and_a_node_without_saved_facts(v1, tmp_path):
    diff = diff_to(make_bundle(tmp_path / "hello-1.1.0", V2), v1, tmp_path / "state", with_facts=False)
    assert diff.profiles_changed == ()
    assert [(n.name, n.meets, n.note) for n in diff.nodes] == [(FIRST, None, f"no facts of {FIRST} were saved at install")]


def test_to_dict_is_json_and_render_reads_as_the_operator_needs(v1, tmp_path):
    diff = diff_to(make_bundle(tmp_path / "hello-1.1.0", dataclasses.replace(V2, ram_min="16GB")), v1,
                   tmp_path / "state")
    assert json.loads(json.dumps(diff.to_dict()))["images_changed"][0]["ref"] == "docker.io/hello/web:1.1.0"
    text = diff.render()
    assert text.startswith("Upgrade hello 1.0.0 → 1.1.0\n")
    for line in ("Release notes:", "  # hello 1.0.0",
                 "Images: 1 added, 1 changed; ",
                 "  + docker.io/hello/extra:1.1.0  (",
                 "  ~ docker.io/hello/web:1.0.0 → docker.io/hello/web:1.1.0  (",
                 "Kubernetes resources: 1 added, 1 changed",
                 "  + ConfigMap default/hello-page",
                 "  ~ Deployment default/hello-web",
                 "    +          value: Hello from Airlift 1.1",
                 "Hooks: 1 added", "  + update",
                 "Runtime: k3s v1.30.6+k3s1 → v1.30.7+k3s1 (replaced on every node, one at a time, masters first)",
                 "Installer: Airlift 0.1.0, unchanged",
                 "  ~ master", "    RAM minimum: 512.0 MiB → 16.0 GiB",
                 "Nodes against the new profiles (1 node(s) do not meet their profile;",
                 f"  ✗ {FIRST} (master)", "    ram-min: "):
        assert line in text, f"{line!r} not in:\n{text}"


def test_a_differential_bundle_says_so_in_its_title(v1, tmp_path):
    partial = make_differential(tmp_path / "hello-1.1.0-diff", V2, v1)
    text = diff_to(partial, v1, tmp_path / "state").render()
    assert text.startswith("Upgrade hello 1.0.0 → 1.1.0 (differential bundle on hello 1.0.0)\n")
