"""The application's own files: the resolved manifest, its Kubernetes resources, the README."""

from __future__ import annotations

import os
from pathlib import Path
from string import Template

import yaml

from airlift_build.files import BundleFile
from installer.manifest import Manifest

RESOURCES = "resources"
RESOURCE_SUFFIXES = (".yaml", ".yml", ".json")
README_TEMPLATE = Path(__file__).with_name("templates") / "README.txt"


def manifest_file(manifest: Manifest) -> BundleFile:
    """app.yaml with every file:// value inlined, loadable again by load_manifest."""
    text = yaml.safe_dump(manifest.to_resolved_dict(), sort_keys=False, allow_unicode=True)
    return BundleFile("app.yaml", data=text.encode())


def resources_dir(manifest: Manifest) -> Path:
    """The vendor's resources folder: the manifest's `resources/` subfolder when it has one
    (app.yaml beside resources/, as in examples/hello), else the manifest's own folder (Gravity's
    layout, app.yaml inside resources/). Either way it becomes the bundle's resources/, so the
    bundle never holds resources/resources/."""
    nested = manifest.base_dir / RESOURCES
    return nested if nested.is_dir() else manifest.base_dir


def resource_files(manifest: Manifest, manifest_path: Path) -> list[BundleFile]:
    """Every resource file of the vendor's resources folder (YAML/JSON, and whole Helm charts),
    at its path relative to that folder under resources/. Hidden folders are skipped."""
    base = resources_dir(manifest)
    out = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        here = Path(dirpath)
        in_chart = any((p / "Chart.yaml").is_file() for p in [here, *here.parents] if p.is_relative_to(base))
        for name in sorted(filenames):
            path = here / name
            if path.resolve() == manifest_path.resolve() or name.startswith("."):
                continue
            if in_chart or name.endswith(RESOURCE_SUFFIXES):
                out.append(BundleFile(f"{RESOURCES}/{path.relative_to(base).as_posix()}", source=path))
    return out


def readme_file(manifest: Manifest) -> BundleFile:
    """The end user's README, from the template beside this module."""
    flavors = "\n".join(f"  --flavor {f.name:<12} {f.description}" for f in manifest.flavors) or "  (one node)"
    text = Template(README_TEMPLATE.read_text()).substitute(
        name=manifest.name, version=manifest.version, description=manifest.description or "",
        author=manifest.author or "the vendor", flavors=flavors)
    return BundleFile("README", data=text.encode())
