"""The manifest loader: good manifests give the model the installer acts on; bad ones give every
problem at once, each with its path (a table of cases with their exact messages)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from installer.errors import AirliftError
from installer.manifest import ManifestError, Problem, load_manifest

REPO = Path(__file__).resolve().parents[2]
HELLO = REPO / "examples" / "hello" / "app.yaml"
FIXTURES = REPO / "tests" / "fixtures" / "manifests"

JOB = """apiVersion: batch/v1
kind: Job
metadata: {name: hook}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: hook, image: busybox}]
"""

BASE = {
    "apiVersion": "bundle.gravitational.io/v2",
    "kind": "Bundle",
    "metadata": {"name": "app", "resourceVersion": "1.0.0"},
    "installer": {"flavors": {"default": "one", "items": [
        {"name": "one", "nodes": [{"profile": "master", "count": 1}]},
        {"name": "three", "nodes": [{"profile": "master", "count": 1}, {"profile": "worker", "count": 2}]},
    ]}},
    "nodeProfiles": [
        {"name": "master", "requirements": {"cpu": {"min": 1}, "ram": {"min": "1GB"}}},
        {"name": "worker"},
    ],
    "hooks": {"install": {"job": "file://hook.yaml"}},
}


def write(tmp_path: Path, doc: dict, hook: str = JOB) -> Path:
    (tmp_path / "hook.yaml").write_text(hook)
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def problems_of(tmp_path: Path, doc: dict, hook: str = JOB) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load_manifest(write(tmp_path, doc, hook))
    return [str(p) for p in caught.value.problems]


def changed(path: str, value) -> dict:
    """BASE with the value at a dotted/indexed path replaced (None deletes it)."""
    doc = copy.deepcopy(BASE)
    keys = [int(k) if k.isdigit() else k for k in path.replace("[", ".").replace("]", "").split(".")]
    node = doc
    for key in keys[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
    if value is None:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return doc


BAD = [
    ("nodeProfiles[0].requirements.ram.min", "2XB",
     'nodeProfiles[0].requirements.ram.min: "2XB" is not a size (use a number and a unit, e.g. "2GB" or "500MB")'),
    ("surprise", True, "surprise: unknown field (Gravity's v2 manifest has no such field)"),
    ("nodeProfiles[0].requirements.gpu", {"min": 1},
     "nodeProfiles[0].requirements.gpu: unknown field (Gravity's v2 manifest has no such field)"),
    ("apiVersion", "v1", 'apiVersion: "v1" is not supported for kind Bundle (use bundle.gravitational.io/v2)'),
    ("kind", "Application", 'kind: "Application" is not supported (use Bundle or Cluster)'),
    ("installer.flavors.items[0].nodes[0].profile", "ghost",
     'installer.flavors.items[0].nodes[0].profile: "ghost" is not a node profile (defined: master, worker)'),
    ("installer.flavors.items[1].nodes[1].count", -1, "installer.flavors.items[1].nodes[1].count: -1 is negative"),
    ("installer.flavors.items[0].nodes[0].count", 0, 'installer.flavors.items[0].nodes: flavor "one" has no nodes'),
    ("installer.flavors.items[0].nodes", [], 'installer.flavors.items[0].nodes: flavor "one" has no nodes'),
    ("installer.flavors.items[0].nodes[0].count", "two",
     "installer.flavors.items[0].nodes[0].count: must be a whole number, not 'two'"),
    ("installer.flavors.default", "huge", 'installer.flavors.default: "huge" is not a flavor (defined: one, three)'),
    ("installer.flavors.items[1].name", "one", 'installer.flavors.items[1].name: flavor "one" is defined twice'),
    ("nodeProfiles[1].name", "master", 'nodeProfiles[1].name: profile "master" is defined twice'),
    ("nodeProfiles[0].name", None, "nodeProfiles[0].name: is required"),
    ("metadata.name", None, "metadata.name: is required"),
    ("metadata.name", "My App", 'metadata.name: "My App" is not a valid name (lower-case letters, digits, "-" and ".")'),
    ("metadata.resourceVersion", "1.0", 'metadata.resourceVersion: "1.0" is not a semantic version (e.g. "1.2.3")'),
    ("metadata.resourceVersion", 1.0, "metadata.resourceVersion: must be a string, not 1.0"),
    ("nodeProfiles[0].requirements.cpu.min", "two", "nodeProfiles[0].requirements.cpu.min: must be a number, not 'two'"),
    ("nodeProfiles[0].requirements.cpu.min", 0.5,
     "nodeProfiles[0].requirements.cpu.min: 0.5 is not a whole number of CPUs (1 or more)"),
    ("nodeProfiles[0].requirements.cpu", {"min": 8, "max": 4}, "nodeProfiles[0].requirements.cpu: min is greater than max"),
    ("nodeProfiles[0].requirements.ram", {"min": "4GB", "max": "2GB"},
     "nodeProfiles[0].requirements.ram: min is greater than max"),
    ("nodeProfiles[0].requirements.network", {"ports": [{"ranges": ["70000"]}]},
     'nodeProfiles[0].requirements.network.ports[0].ranges[0]: "70000": ports must be between 1 and 65535'),
    ("nodeProfiles[0].requirements.network", {"ports": [{"ranges": ["9000-8000"]}]},
     'nodeProfiles[0].requirements.network.ports[0].ranges[0]: "9000-8000": the range starts after it ends'),
    ("nodeProfiles[0].requirements.network", {"ports": [{"ranges": ["http"]}]},
     'nodeProfiles[0].requirements.network.ports[0].ranges[0]: "http" is not a port or port range '
     '(e.g. "8080" or "8000-8010")'),
    ("nodeProfiles[0].requirements.network", {"ports": [{"protocol": "sctp", "ranges": ["1"]}]},
     'nodeProfiles[0].requirements.network.ports[0].protocol: "sctp" is not a protocol (use "tcp" or "udp")'),
    ("nodeProfiles[0].requirements.network", {"minTransferRate": "fast"},
     'nodeProfiles[0].requirements.network.minTransferRate: "fast" is not a transfer rate (e.g. "10MB/s")'),
    ("nodeProfiles[0].requirements.volumes", [{"path": "data", "capacity": "lots"}],
     'nodeProfiles[0].requirements.volumes[0].path: "data" is not an absolute path'),
    ("nodeProfiles[0].requirements.volumes", [{"path": "/data", "capacity": "lots"}],
     'nodeProfiles[0].requirements.volumes[0].capacity: "lots" is not a size '
     '(use a number and a unit, e.g. "2GB" or "500MB")'),
    ("nodeProfiles[0].requirements.volumes", [{"path": "/data", "mode": "rwx"}],
     'nodeProfiles[0].requirements.volumes[0].mode: "rwx" is not an octal file mode (e.g. "0755")'),
    ("nodeProfiles[0].requirements.volumes", [{"path": "/data", "uid": -1}],
     "nodeProfiles[0].requirements.volumes[0].uid: -1 is not a user or group id (0 or more)"),
    ("nodeProfiles[0].requirements.volumes", [{"capacity": "1GB"}], "nodeProfiles[0].requirements.volumes[0].path: is required"),
    ("nodeProfiles[0].taints", [{"key": "k", "effect": "Sometimes"}],
     'nodeProfiles[0].taints[0].effect: "Sometimes" is not a taint effect (NoSchedule, PreferNoSchedule, NoExecute)'),
    ("nodeProfiles[0].serviceRole", "boss", 'nodeProfiles[0].serviceRole: "boss" is not a service role (use "master" or "node")'),
    ("nodeProfiles[0].labels", {"gpu": True}, "nodeProfiles[0].labels.gpu: must be a string, not true"),
    ("hooks.install", {"job": "file://missing.yaml"}, 'hooks.install.job: file "missing.yaml" not found (looked for {tmp}/missing.yaml)'),
    ("hooks.install", {}, "hooks.install.job: is required (a Job as YAML text or file://)"),
    ("hooks.install", {"job": "kind: Deployment\napiVersion: apps/v1\n"},
     'hooks.install.job: inline job: is kind "Deployment" (apps/v1), a hook must be a Job (apiVersion batch/v1)'),
    ("hooks.install", {"job": "apiVersion: batch/v1\nkind: Job\nspec: {}\n"},
     "hooks.install.job: inline job: the Job has no spec.template.spec.containers"),
    ("hooks.install", {"job": "kind: Job\n---\nkind: Job\n"},
     "hooks.install.job: inline job: must hold exactly one Kubernetes Job, found 2 documents"),
    ("hooks.deploy", {"job": JOB}, "hooks.deploy: unknown field (Gravity's v2 manifest has no such field)"),
    ("logo", "file://nope.svg", 'logo: file "nope.svg" not found (looked for {tmp}/nope.svg)'),
    ("logo", "file://hook.yaml", 'logo: "file://hook.yaml" is not an image (use .svg, .png, .jpg, .gif or .webp)'),
    ("releaseNotes", "file://notes.md", 'releaseNotes: file "notes.md" not found (looked for {tmp}/notes.md)'),
    ("installer.eula", {"source": "file://eula.txt"},
     'installer.eula.source: file "eula.txt" not found (looked for {tmp}/eula.txt)'),
    ("endpoints", [{"name": "web"}], "endpoints[0]: needs serviceName or selector to find its Service"),
    ("endpoints", [{"name": "web", "serviceName": "web", "port": 70000}], "endpoints[0].port: 70000 is not a port (1-65535)"),
    ("systemOptions", {"kubelet": {"hairpinMode": "sideways"}},
     "systemOptions.kubelet.hairpinMode: 'sideways' is not one of 'promiscuous-bridge', 'hairpin-veth'"),
]


@pytest.mark.parametrize(("path", "value", "expected"), BAD, ids=[f"{p}={v!r}"[:60] for p, v, _ in BAD])
def test_bad_manifest_names_the_field(tmp_path: Path, path: str, value, expected: str) -> None:
    assert expected.format(tmp=tmp_path.resolve()) in problems_of(tmp_path, changed(path, value))


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    doc = changed("nodeProfiles[0].requirements.ram.min", "2XB")
    doc["installer"]["flavors"]["items"][1]["nodes"][1]["count"] = -3
    doc["installer"]["flavors"]["items"][0]["nodes"][0]["profile"] = "ghost"
    doc["bogus"] = 1
    doc["metadata"]["resourceVersion"] = "one"
    hook = "apiVersion: batch/v1\nkind: Job\nspec:\n  template: [\n"
    found = problems_of(tmp_path, doc, hook)
    assert found == [
        "bogus: unknown field (Gravity's v2 manifest has no such field)",
        'metadata.resourceVersion: "one" is not a semantic version (e.g. "1.2.3")',
        'nodeProfiles[0].requirements.ram.min: "2XB" is not a size (use a number and a unit, e.g. "2GB" or "500MB")',
        'installer.flavors.items[0].nodes[0].profile: "ghost" is not a node profile (defined: master, worker)',
        "installer.flavors.items[1].nodes[1].count: -3 is negative",
        "hooks.install.job: hook.yaml line 5: not valid YAML (expected the node content, but found '<stream end>')",
    ]


def test_error_renders_every_problem_for_the_operator(tmp_path: Path) -> None:
    path = write(tmp_path, changed("kind", "Application"))
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    text = caught.value.render()
    assert text.startswith(f"{path}: 1 problem in the manifest")
    assert 'kind: "Application" is not supported' in text
    assert "What to do:" in text
    assert isinstance(caught.value, AirliftError) and caught.value.exit_code == 2


def test_not_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text("apiVersion: bundle.gravitational.io/v2\nkind: [Bundle\nmetadata: {}\n")
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    [problem] = caught.value.problems
    assert problem.message.startswith("line 3, column 9: not valid YAML")


@pytest.mark.parametrize("text", ["- a list\n", "just text\n", "", "a: 1\n---\nb: 2\n"])
def test_manifest_must_be_one_mapping(tmp_path: Path, text: str) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(text)
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert caught.value.problems == [Problem("", "must be one YAML mapping (apiVersion, kind, metadata, ...)")]


def test_missing_manifest_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifest(tmp_path / "nope.yaml")
    assert caught.value.problems == [Problem("", "cannot be read: No such file or directory")]


def test_hello_example() -> None:
    m = load_manifest(HELLO)
    assert (m.kind, m.name, m.version, m.author) == ("Bundle", "hello", "1.0.0", "Airlift")
    assert m.warnings == []
    assert [(f.name, f.node_count) for f in m.flavors] == [("one", 1), ("three", 3), ("ha", 3)]
    assert m.default_flavor == "one" and m.flavor_prompt == "How big a cluster?"
    assert [(n.profile, n.count) for n in m.flavor("three").nodes] == [("master", 1), ("worker", 2)]
    master = m.profiles["master"].requirements
    assert (master.cpu_min, master.ram_min) == (1, 512 * 1024**2)
    assert master.volumes[0].path == "/var/lib/airlift-hello" and master.volumes[0].capacity == 100 * 1024**2
    assert [(p.protocol, p.first, p.last) for p in master.ports] == [("tcp", 30080, 30080)]
    assert m.hooks["install"]["kind"] == "Job"
    assert m.hooks["install"]["spec"]["template"]["spec"]["containers"][0]["image"] == "hello/hook:1.0.0"
    assert m.logo.startswith("data:image/svg+xml;base64,")
    assert "licence" in m.eula and "hello 1.0.0" in m.release_notes
    assert m.endpoints[0]["serviceName"] == "hello-web"
    assert m.base_dir == HELLO.parent


def test_unknown_flavor_lookup_lists_the_flavors() -> None:
    with pytest.raises(AirliftError) as caught:
        load_manifest(HELLO).flavor("huge")
    assert caught.value.hint == "pick one of: one, three, ha"


def test_resolved_manifest_loads_again_unchanged(tmp_path: Path) -> None:
    """The bundle's app.yaml: file:// values inlined, loadable anywhere with nothing to resolve."""
    for source in (HELLO, FIXTURES / "full" / "app.yaml"):
        m = load_manifest(source)
        resolved = m.to_resolved_dict()
        assert "file://" not in yaml.safe_dump(resolved)
        again_path = tmp_path / source.parent.name / "app.yaml"
        again_path.parent.mkdir()
        again_path.write_text(yaml.safe_dump(resolved))
        again = load_manifest(again_path)
        assert again.to_resolved_dict() == resolved
        assert (again.logo, again.eula, again.release_notes) == (m.logo, m.eula, m.release_notes)
        assert again.hooks == m.hooks and again.profiles == m.profiles and again.flavors == m.flavors


def test_resolving_does_not_change_the_loaded_manifest() -> None:
    m = load_manifest(HELLO)
    m.to_resolved_dict()
    assert m.raw["logo"] == "file://logo.svg"


def test_gravity_defaults_without_profiles_or_flavors() -> None:
    m = load_manifest(FIXTURES / "minimal.yaml")
    assert list(m.profiles) == ["node"]
    assert [(f.name, [(n.profile, n.count) for n in f.nodes]) for f in m.flavors] == [("one-node", [("node", 1)])]
    assert m.default_flavor == "one-node"
    assert (m.logo, m.eula, m.release_notes, m.hooks) == (None, None, None, {})


def test_profiles_without_flavors_get_one_node_of_the_first(tmp_path: Path) -> None:
    doc = changed("installer", None)
    m = load_manifest(write(tmp_path, doc))
    assert [(n.profile, n.count) for n in m.flavor("one-node").nodes] == [("master", 1)]


def test_default_flavor_is_the_first_when_not_named(tmp_path: Path) -> None:
    m = load_manifest(write(tmp_path, changed("installer.flavors.default", None)))
    assert m.default_flavor == "one"


def test_fields_not_acted_on_give_one_warning_each(tmp_path: Path) -> None:
    doc = copy.deepcopy(BASE)
    doc.update(providers={"aws": {"regions": ["x"]}}, license={"enabled": True}, webConfig="x", baseImage="gravity:7",
               ingress={"nginx": {"enabled": True}}, dependencies={"apps": ["a"]}, logo="https://example.com/l.png")
    doc["metadata"]["repository"] = "gravitational.io"
    doc["nodeProfiles"][1].update(expandPolicy="fixed", providers={"aws": {"instanceTypes": ["m5.large"]}})
    doc["nodeProfiles"][0]["requirements"]["volumes"] = [{"path": "/d", "seLinuxLabel": "x"}]
    doc["hooks"]["backup"] = {"job": JOB}
    doc["installer"]["setupEndpoints"] = ["web"]
    m = load_manifest(write(tmp_path, doc))
    assert m.warnings == [
        "baseImage: accepted but not used by Airlift (Airlift always carries its own runtime (k3s))",
        "dependencies: accepted but not used by Airlift (Gravity packages and apps do not exist in Airlift)",
        "providers: accepted but not used by Airlift (Airlift installs on existing hosts only)",
        "ingress: accepted but not used by Airlift (no ingress controller is installed)",
        "license: accepted but not used by Airlift (a licence is required by building with build.py --licence-key PUB)",
        "webConfig: accepted but not used by Airlift (the wizard is not customised by config.js)",
        "metadata.repository: accepted but not used by Airlift",
        "installer.setupEndpoints: accepted but not used by Airlift",
        "hooks.backup: accepted but never run by Airlift",
        "nodeProfiles[0].requirements.volumes[0].seLinuxLabel: accepted but not used by Airlift",
        "nodeProfiles[1].providers: accepted but not used by Airlift (cloud providers)",
        'logo: "https://example.com/l.png" is not shown (an offline installer fetches nothing); use file://',
    ]
    assert m.logo is None
    assert "backup" in m.hooks
    assert not m.profiles[doc["nodeProfiles"][1]["name"]].expandable  # expandPolicy is acted on


def test_every_field_airlift_acts_on_is_parsed() -> None:
    m = load_manifest(FIXTURES / "full" / "app.yaml")
    assert m.warnings == []
    assert (m.kind, m.version, m.default_flavor) == ("Cluster", "2.3.4-rc.1+build.5", "ha")
    big = m.profiles["big"]
    assert big.labels == {"role": "big"} and big.service_role == "master"
    assert [(t.key, t.value, t.effect) for t in big.taints] == [("dedicated", "big", "NoSchedule")]
    r = big.requirements
    assert (r.cpu_min, r.cpu_max, r.ram_min, r.ram_max) == (4, 64, 8 * 1024**3, 1024**4)
    assert [(o.name, o.versions) for o in r.os] == [("debian", ("12", "13")), ("ubuntu", ())]
    assert r.min_transfer_rate == 50 * 1024**2
    assert [(p.protocol, p.first, p.last) for p in r.ports] == [("tcp", 443, 443), ("tcp", 8000, 8010), ("udp", 8472, 8472)]
    [v] = r.volumes
    assert (v.path, v.name, v.capacity, v.filesystems) == ("/var/lib/full", "data", int(1.5 * 1024**3), ("ext4", "xfs"))
    assert (v.create_if_missing, v.skip_if_missing, v.min_transfer_rate) == (False, True, 10 * 1024**2)
    assert (v.uid, v.gid, v.mode) == (1000, 1000, 0o750)
    [d] = r.devices
    assert (d.path, d.permissions, d.file_mode, d.uid, d.gid) == ("/dev/nvidia0", "rw", "0660", 0, 44)
    [c] = r.custom_checks
    assert c.description == "the vendor's own check" and c.script.startswith("#!/bin/sh")
    assert m.profiles["gpu"].service_role == "node"
    assert sorted(m.hooks) == ["install", "postInstall"]
    assert m.hooks["postInstall"]["metadata"]["name"] == "post-install"
    assert m.release_notes == "Plain release notes, inline." and m.eula == "Full licence text.\n"
    assert [e["name"] for e in m.endpoints] == ["Web", "Admin"]


def test_every_field_gravity_accepts_is_accepted_with_one_warning(tmp_path: Path) -> None:
    """Fields of Gravity's lib/schema/schema.go that the schema once lacked (extensions.opsCenter,
    open customChecks entries) load, each named once among the warnings."""
    doc = copy.deepcopy(BASE)
    doc["extensions"] = {"opsCenter": {"disabled": True}, "logs": {"disabled": True}}
    doc["storage"] = {"openebs": {"enabled": True}}
    doc["nodeProfiles"][0]["requirements"]["customChecks"] = [{"script": "exit 0", "timeout": "1m"}]
    m = load_manifest(write(tmp_path, doc))
    assert m.warnings == [
        "storage: accepted but not used by Airlift (no storage provider is installed)",
        "extensions: accepted but not used by Airlift (Gravity's extensions do not exist in Airlift)",
        "nodeProfiles[0].requirements.customChecks[0].timeout: accepted but not used by Airlift",
    ]


def test_metadata_given_to_the_loader_replaces_a_templated_one(tmp_path: Path) -> None:
    """build.py --name/--version, as tele build: a placeholder version is replaced before the checks."""
    path = write(tmp_path, changed("metadata.resourceVersion", "GRAVITY_VERSION"))
    with pytest.raises(ManifestError):
        load_manifest(path)
    m = load_manifest(path, {"resourceVersion": "2.3.4", "name": "renamed"})
    assert (m.version, m.name) == ("2.3.4", "renamed")
    assert m.to_resolved_dict()["metadata"]["resourceVersion"] == "2.3.4"
