"""load_manifest: read app.yaml, collect every problem (structure, semantics, files), and
either return a Manifest or raise one ManifestError listing them all."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from installer.manifest.flavors import parse_flavors
from installer.manifest.manifest import Manifest
from installer.manifest.problems import ManifestError, Problem, Problems
from installer.manifest.profiles import parse_profiles
from installer.manifest.report import parse_report_redactions
from installer.manifest.shapes import as_dict, as_list, as_str
from installer.manifest.sources import parse_hook_job, resolve_logo, resolve_text
from installer.manifest.structure import check_structure
from installer.manifest.unused import unused_field_warnings

KINDS = {"Bundle": "bundle.gravitational.io/v2", "Cluster": "cluster.gravitational.io/v2"}
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
_NAME = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")


def load_manifest(path: Path, metadata: Mapping[str, str] | None = None) -> Manifest:
    """The validated manifest at `path`; ManifestError lists every problem with its field path.

    `metadata` replaces fields of the manifest's metadata before it is validated (build.py
    --name/--version, as Gravity's `tele build` did), so a templated manifest whose
    resourceVersion is a placeholder such as "GRAVITY_VERSION" builds with the real version."""
    path = Path(path)
    problems = Problems()
    doc = _read_yaml(path)
    if metadata and isinstance(doc.get("metadata"), dict):
        doc["metadata"].update(metadata)
    check_structure(doc, problems)
    _check_header(doc, problems)
    manifest = _assemble(doc, path.resolve().parent, problems)
    if problems:
        raise ManifestError(str(path), problems.items)
    return manifest


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(str(path), [Problem("", f"cannot be read: {exc.strerror}")]) from None
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise ManifestError(str(path), [Problem("", f"{where}not valid YAML ({reason})")]) from None
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise ManifestError(str(path), [Problem("", "must be one YAML mapping (apiVersion, kind, metadata, ...)")])
    return docs[0]


def _check_header(doc: dict[str, Any], problems: Problems) -> None:
    kind, api = doc.get("kind"), doc.get("apiVersion")
    if isinstance(kind, str) and kind not in KINDS:
        problems.add("kind", f'"{kind}" is not supported (use Bundle or Cluster)')
    elif isinstance(kind, str) and isinstance(api, str) and api != KINDS[kind]:
        problems.add("apiVersion", f'"{api}" is not supported for kind {kind} (use {KINDS[kind]})')
    meta = as_dict(doc.get("metadata"))
    name, version = meta.get("name"), meta.get("resourceVersion")
    if isinstance(name, str) and not _NAME.match(name):
        problems.add("metadata.name", f'"{name}" is not a valid name (lower-case letters, digits, "-" and ".")')
    if isinstance(version, str) and not _SEMVER.match(version):
        problems.add("metadata.resourceVersion", f'"{version}" is not a semantic version (e.g. "1.2.3")')


def _assemble(doc: dict[str, Any], base_dir: Path, problems: Problems) -> Manifest:
    meta = as_dict(doc.get("metadata"))
    installer = as_dict(doc.get("installer"))
    eula = as_dict(installer.get("eula"))
    profiles = parse_profiles(doc.get("nodeProfiles"), problems)
    flavors, default, prompt = parse_flavors(installer.get("flavors"), profiles, problems)
    hooks, hook_sources = _hooks(doc.get("hooks"), base_dir, problems)
    return Manifest(
        raw=doc, base_dir=base_dir, kind=as_str(doc.get("kind")),
        name=as_str(meta.get("name")), version=as_str(meta.get("resourceVersion")),
        description=as_str(meta.get("description")), author=as_str(meta.get("author")),
        logo=resolve_logo(doc.get("logo"), base_dir, problems),
        release_notes=resolve_text(doc.get("releaseNotes"), "releaseNotes", base_dir, problems),
        eula=resolve_text(eula.get("source"), "installer.eula.source", base_dir, problems),
        profiles=profiles, flavors=flavors, default_flavor=default, flavor_prompt=prompt,
        endpoints=_endpoints(doc.get("endpoints"), problems),
        hooks=hooks, hook_sources=hook_sources,
        report_redact=parse_report_redactions(doc.get("report"), problems),
        warnings=unused_field_warnings(doc) + _logo_warnings(doc),
    )


def _logo_warnings(doc: dict[str, Any]) -> list[str]:
    logo = doc.get("logo")
    if isinstance(logo, str) and logo and not logo.startswith(("file://", "data:")):
        return [f'logo: "{logo}" is not shown (an offline installer fetches nothing); use file://']
    return []


def _hooks(raw: Any, base_dir: Path, problems: Problems) -> tuple[dict[str, dict], dict[str, str]]:
    jobs: dict[str, dict] = {}
    sources: dict[str, str] = {}
    for name, hook in as_dict(raw).items():
        value = hook.get("job") if isinstance(hook, dict) else None
        path = f"hooks.{name}.job"
        if not isinstance(value, str):
            if isinstance(hook, dict) and "job" not in hook:
                problems.add(path, "is required (a Job as YAML text or file://)")
            continue
        text = resolve_text(value, path, base_dir, problems)
        if text is None:
            continue
        source = value[len("file://"):] if value.startswith("file://") else "inline job"
        job = parse_hook_job(text, path, source, problems)
        if job is not None:
            jobs[name], sources[name] = job, text
    return jobs, sources


def _endpoints(raw: Any, problems: Problems) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, item in enumerate(as_list(raw)):
        if not isinstance(item, dict):
            continue
        if "serviceName" not in item and "selector" not in item:
            problems.add(f"endpoints[{i}]", "needs serviceName or selector to find its Service")
        port = item.get("port")
        if isinstance(port, int) and not 1 <= port <= 65535:
            problems.add(f"endpoints[{i}].port", f"{port} is not a port (1-65535)")
        out.append(item)
    return out
