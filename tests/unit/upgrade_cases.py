"""Two versions of a hello-like application as unpacked bundle folders, and a state directory in
which the first one is installed, for the upgrade's diff, refusals and command tests.

The bundles are real enough for every reader: the resolved app.yaml, the resources, an OCI image
layout (tests/fixtures/oci_layout.py) and a runtime file, with an index.json listing them all.
The installed state is what an install keeps: the plan (completed), answers, the kept bundle part
(index.json, app.yaml, images/index.json), the applied resources, and this host's facts.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from installer import answers as answers_mod
from installer.app_documents import RESOURCES_FILE, application_documents
from installer.bundle import Bundle
from installer.bundle.index import INDEX_NAME, Index, IndexEntry
from installer.manifest import load_manifest
from installer.plan import PlanStore, build_install_plan
from installer.statedir import StateDir
from tests.fixtures.oci_layout import LayoutWriter, layer_tar
from tests.unit.checks_cases import facts

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello"
FIRST = "node-1"
BASE_LAYER = layer_tar({"bin/busybox": b"busybox " * 512})
HOOK_LAYER = layer_tar({"hook.sh": b"echo hook\n"})
CONFIG_MAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "hello-page", "namespace": "default"},
              "data": {"greeting": "Hello again"}}
UPDATE_JOB = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "hello-update", "namespace": "default"},
              "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
                  {"name": "hook", "image": "hello/hook:1.0.0", "command": ["true"]}]}}}}


@dataclass
class Version:
    """What one version of the application holds."""

    version: str
    name: str = "hello"
    greeting: str = "Hello from Airlift"
    web_tag: str = "1.0.0"
    web_layers: list[bytes] = field(default_factory=lambda: [BASE_LAYER])
    extra_image: bool = False  # docker.io/hello/extra:<version>, sharing the base layer
    config_map: bool = False
    update_hook: bool = False
    ram_min: str = "512MB"
    k3s: str = "v1.30.6+k3s1"


V1 = Version("1.0.0")
V2 = Version("1.1.0", greeting="Hello from Airlift 1.1", web_tag="1.1.0",
             web_layers=[BASE_LAYER, layer_tar({"www/index.html": b"<h1>1.1</h1>\n" * 64})],
             extra_image=True, config_map=True, update_hook=True, k3s="v1.30.7+k3s1")


def make_bundle(folder: Path, v: Version) -> Bundle:
    """An unpacked bundle of version `v` in `folder`."""
    source = folder.parent / f".{folder.name}-source"
    shutil.copytree(HELLO, source, ignore=shutil.ignore_patterns(".images", "images"))
    _edit_source(source, v)
    folder.mkdir(parents=True)
    manifest = load_manifest(source / "app.yaml")
    (folder / "app.yaml").write_text(yaml.safe_dump(manifest.to_resolved_dict(), sort_keys=False))
    shutil.copytree(source / "resources", folder / "resources")
    shutil.rmtree(source)
    _images(folder / "images", v)
    (folder / "runtime").mkdir()
    (folder / "runtime" / "k3s").write_bytes(f"k3s {v.k3s}\n".encode() * 100)
    write_index(folder, v)
    return Bundle.open(folder)


def _edit_source(source: Path, v: Version) -> None:
    doc = yaml.safe_load((source / "app.yaml").read_text())
    doc["metadata"]["name"], doc["metadata"]["resourceVersion"] = v.name, v.version
    for profile in doc["nodeProfiles"]:
        profile["requirements"]["ram"]["min"] = v.ram_min
    if v.update_hook:
        (source / "resources" / "update-hook.yaml").write_text(yaml.safe_dump(UPDATE_JOB))
        doc["hooks"]["update"] = {"job": "file://resources/update-hook.yaml"}
    (source / "app.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    web = source / "resources" / "hello.yaml"
    web.write_text(web.read_text().replace("Hello from Airlift", v.greeting)
                   .replace("image: hello/web:1.0.0", f"image: hello/web:{v.web_tag}"))
    if v.config_map:
        (source / "resources" / "page.yaml").write_text(yaml.safe_dump(CONFIG_MAP))


def _images(root: Path, v: Version) -> None:
    writer = LayoutWriter(root)
    writer.image(f"docker.io/hello/web:{v.web_tag}", v.web_layers)
    writer.image("docker.io/hello/hook:1.0.0", [BASE_LAYER, HOOK_LAYER])
    if v.extra_image:
        writer.image(f"docker.io/hello/extra:{v.version}", [BASE_LAYER, layer_tar({"extra": b"extra\n" * 99})])
    writer.finish()


def write_index(folder: Path, v: Version, base: dict | None = None) -> None:
    """index.json for every file under `folder`; with `base`, a differential bundle's index."""
    entries = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p != folder / INDEX_NAME):
        data = path.read_bytes()
        entries.append(IndexEntry(path.relative_to(folder).as_posix(), len(data), hashlib.sha256(data).hexdigest(),
                                  0o644))
    data = Index(v.name, v.version, "0.1.0", tuple(entries), k3s_version=v.k3s).to_json()
    if base is not None:
        doc = json.loads(data)
        doc["base"] = base
        data = json.dumps(doc, indent=1).encode()
    (folder / INDEX_NAME).write_bytes(data)


def make_differential(folder: Path, new: Version, base: Bundle) -> Bundle:
    """`new` as a differential bundle on `base`: the blobs and runtime files the base had are left
    out of it and of its index, which names the base."""
    make_bundle(folder, new)
    had = {e.path for e in base.files("images/blobs/")} | {e.path for e in base.files("runtime/")
                                                           if (folder / e.path).read_bytes() == (base.root / e.path).read_bytes()}
    for path in had:
        (folder / path).unlink(missing_ok=True)
    sha = hashlib.sha256((base.root / INDEX_NAME).read_bytes()).hexdigest()
    write_index(folder, new, base={"name": base.name, "version": base.version, "index_sha256": sha})
    return Bundle.open(folder)


def install_state(state: Path, bundle: Bundle, joined: tuple[str, ...] = (), with_facts: bool = True) -> StateDir:
    """A state directory in which `bundle` is installed on FIRST, with `joined` worker nodes."""
    paths = StateDir(state)
    paths.bundle.mkdir(parents=True)
    for rel in (INDEX_NAME, "app.yaml", "images/index.json"):
        (paths.bundle / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(bundle.root / rel, paths.bundle / rel)
    paths.app.mkdir()
    shutil.copyfile(bundle.root / "app.yaml", paths.app_manifest)
    manifest = load_manifest(bundle.manifest_path)
    (paths.app / RESOURCES_FILE).write_text(yaml.safe_dump_all(application_documents(bundle, manifest),
                                                               sort_keys=False))
    answers_mod.save(answers_mod.Answers(flavor="three" if joined else "one", profile="master",
                                         advertise_addr="10.0.0.5"), paths.answers)
    store = PlanStore(paths.root)
    plan = build_install_plan(FIRST)
    store.create(plan)
    for phase in plan.phases:
        store.record(phase.id, "completed")
    if with_facts:
        facts().save(paths.facts)
    records = [{"name": n, "identity": f"id-{n}", "address": f"10.0.0.{i}", "profile": "worker"}
               for i, n in enumerate(joined, start=6)]
    paths.nodes.write_text(json.dumps(records))
    for name in joined:
        paths.node_facts(name).parent.mkdir(exist_ok=True)
        facts(hostname=name).save(paths.node_facts(name))
    return paths


def add_operation(paths: StateDir, kind: str, node: str, state: str, versions: tuple[str, str] | None = None) -> str:
    """A day-2 operation folder whose plan is `state` ("in_progress", "completed", "failed"); an
    upgrade or rollback names its versions (from, to) as the engine's operation.json does."""
    op_id = f"{kind}-{node}-0123abcd"
    folder = paths.operation(op_id)
    folder.root.mkdir(parents=True)
    meta = {"id": op_id, "kind": kind, "node": node, "created": 1.0}
    if versions:
        meta.update({"from": versions[0], "to": versions[1]})
    folder.meta.write_text(json.dumps(meta))
    plan = build_install_plan(FIRST)
    store = PlanStore(folder.root)
    store.create(plan)
    for phase in plan.phases if state == "completed" else plan.phases[:1]:
        store.record(phase.id, state)
    return op_id
