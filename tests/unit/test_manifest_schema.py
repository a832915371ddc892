"""The published JSON Schema stays in step with the code: every manifest field the code reads
is in the schema, and the schema file on its own accepts the example manifests."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from installer.manifest import load_manifest, unused
from installer.manifest.structure import SCHEMA_PATH

REPO = Path(__file__).resolve().parents[2]
MANIFEST_CODE = REPO / "installer" / "manifest"
# Modules that read the manifest document (sources.py reads the hook Jobs, which are Kubernetes').
READERS = ("loader.py", "profiles.py", "flavors.py", "manifest.py", "unused.py")
EXAMPLES = [
    REPO / "examples" / "hello" / "app.yaml",
    REPO / "tests" / "fixtures" / "manifests" / "full" / "app.yaml",
    REPO / "tests" / "fixtures" / "manifests" / "minimal.yaml",
    *sorted((REPO / "tests" / "fixtures" / "gravity").glob("*/resources/app.yaml")),
]


def schema_field_names() -> set[str]:
    """Every property name anywhere in the published schema."""
    names: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            names.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(SCHEMA_PATH.read_text()))
    return names


def fields_read_by_code() -> set[str]:
    """String keys the manifest code reads: `x.get("key")`, `x["key"]` and `"key" in x`."""
    keys: set[str] = set()
    for name in READERS:
        for node in ast.walk(ast.parse((MANIFEST_CODE / name).read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
                arg = node.args[0] if node.args else None
            elif isinstance(node, ast.Subscript):
                arg = node.slice
            elif isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.In | ast.NotIn):
                arg = node.left
            else:
                continue
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                keys.add(arg.value)
    return keys


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft7Validator.check_schema(json.loads(SCHEMA_PATH.read_text()))


def test_every_field_the_code_reads_is_in_the_schema() -> None:
    read = fields_read_by_code()
    assert {"metadata", "nodeProfiles", "requirements", "minTransferRate", "createIfMissing", "job"} <= read
    assert read - schema_field_names() == set()


def test_every_field_warned_about_is_in_the_schema() -> None:
    warned = set(unused._TOP) | set(unused._METADATA) | set(unused._PROFILE) | set(unused._VOLUME)
    assert warned | set(unused.ACTED_HOOKS) <= schema_field_names()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(REPO)))
def test_published_schema_accepts_the_examples(path: Path) -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.validate(yaml.safe_load(path.read_text()), schema, cls=jsonschema.Draft7Validator)
    load_manifest(path)


def test_published_schema_rejects_an_unknown_field() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    doc = yaml.safe_load(EXAMPLES[0].read_text())
    doc["nodeProfiles"][0]["requirements"]["gpus"] = 2
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema, cls=jsonschema.Draft7Validator)
