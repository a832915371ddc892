"""Structural validation against the published JSON Schema (schema/bundle-v2.json).

jsonschema finds every structural error in one pass; this module turns each into a Problem
with a YAML-style path and words a vendor understands ("unknown field", "must be a string")."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from installer.manifest.problems import Problems, join_path

SCHEMA_PATH = Path(__file__).with_name("schema") / "bundle-v2.json"
_TYPE_WORDS = {
    "string": "a string", "integer": "a whole number", "number": "a number", "boolean": "true or false",
    "object": "a mapping", "array": "a list",
}


@cache
def schema() -> dict[str, Any]:
    """The published manifest schema, loaded once."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return loaded


@cache
def _validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(schema())


def check_structure(doc: Any, problems: Problems) -> None:
    """Add one problem per structural error in `doc` (unknown fields, wrong types, missing fields)."""
    errors = sorted(_validator().iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        path = list(error.absolute_path)
        if error.validator == "additionalProperties":
            allowed = set(error.schema.get("properties", {}))
            for extra in sorted(set(error.instance) - allowed):
                problems.add(join_path([*path, extra]), "unknown field (Gravity's v2 manifest has no such field)")
        elif error.validator == "required":
            missing = error.message.split("'")[1]
            problems.add(join_path([*path, missing]), "is required")
        elif error.validator == "type":
            wanted = error.validator_value
            words = _TYPE_WORDS.get(wanted, wanted) if isinstance(wanted, str) else " or ".join(wanted)
            problems.add(join_path(path) or "(manifest)", f"must be {words}, not {_describe(error.instance)}")
        elif error.validator == "enum":
            choices = ", ".join(repr(c) for c in error.validator_value if c)
            problems.add(join_path(path), f"{error.instance!r} is not one of {choices}")
        else:
            problems.add(join_path(path) or "(manifest)", error.message)


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return repr(value)
