"""Image discovery: every image the application uses, and every place that uses it.

Looks at every YAML file under the manifest's folder (multi-document), the manifest's hook Jobs,
Gravity's ImageSet resources and Helm charts (see helm.py; chart templates are never read as
plain YAML). References are normalised, so `nginx` and `docker.io/library/nginx:latest` are one
image, and each lists its places so a missing image can be reported with all of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from airlift_build.helm import chart_images, find_charts
from installer.errors import AirliftError
from installer.imageref import normalize_image
from installer.manifest import KINDS, Manifest

_POD_SPEC = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
_YAML_SUFFIXES = (".yaml", ".yml")
MANIFEST_NAME = "app.yaml"  # a subfolder whose app.yaml is a manifest is another application's (or version's)


@dataclass
class Discovery:
    """Normalised image reference -> places that use it; warnings for the vendor."""

    images: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, ref: Any, place: str) -> None:
        """Record `ref` used at `place`; a reference that does not parse is an error naming the place."""
        if not isinstance(ref, str) or not ref.strip():
            self.errors.append(f"{place}: no image given")
            return
        try:
            image = normalize_image(ref)
        except AirliftError as exc:
            self.errors.append(f"{place}: {exc.message}")
            return
        places = self.images.setdefault(image, [])
        if place not in places:
            places.append(place)


def discover_images(manifest: Manifest) -> Discovery:
    """Every image `manifest`'s application uses; AirliftError lists every unreadable file or bad reference."""
    base = manifest.base_dir
    found = Discovery()
    charts = find_charts(base)
    for path in _yaml_files(base, charts):
        _scan_file(path, path.relative_to(base).as_posix(), found)
    for chart in charts:
        chart_images(chart, base, found, scan_object)
    for name, job in manifest.hooks.items():
        scan_object(job, f"hooks.{name}", found)
    if found.errors:
        raise AirliftError(
            f"{len(found.errors)} problem(s) finding the images of {manifest.name} {manifest.version}",
            details="\n".join(f"  {e}" for e in found.errors),
            hint="fix the files and image references listed above",
        )
    found.images = dict(sorted(found.images.items()))
    return found


def _yaml_files(base: Path, charts: list[Path]) -> list[Path]:
    """YAML files under `base`, skipping hidden folders, everything inside Helm charts and
    subfolders with an app.yaml of their own (another version, as examples/hello/next)."""
    out = []
    skipped = charts + [p.parent for p in base.rglob(MANIFEST_NAME) if p.parent != base and _is_manifest(p)]
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base).parts
        if any(part.startswith(".") for part in rel) or any(path.is_relative_to(c) for c in skipped):
            continue
        if path.suffix.lower() in _YAML_SUFFIXES and path.is_file():
            out.append(path)
    return out


def _is_manifest(path: Path) -> bool:
    """True for an application manifest (kind Bundle or Cluster with Gravity's apiVersion), not a
    Kubernetes resource that happens to be called app.yaml."""
    try:
        doc = next(yaml.safe_load_all(path.read_text(encoding="utf-8")), None)
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return False
    return isinstance(doc, dict) and KINDS.get(str(doc.get("kind"))) == doc.get("apiVersion")


def _scan_file(path: Path, rel: str, found: Discovery) -> None:
    try:
        docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        found.errors.append(f"{rel}{where}: not valid YAML ({reason}); "
                            "if it is a Helm template, put it in a chart folder with Chart.yaml")
        return
    except (OSError, UnicodeDecodeError) as exc:
        found.errors.append(f"{rel}: cannot be read ({exc})")
        return
    several = len([d for d in docs if d is not None]) > 1
    for index, doc in enumerate(docs):
        where = f"{rel} (document {index + 1})" if several else rel
        scan_object(doc, where, found)


def scan_object(doc: Any, where: str, found: Discovery) -> None:
    """Record the images of one Kubernetes object (or List, or Gravity ImageSet) found at `where`."""
    if not isinstance(doc, dict) or doc.get("kind") in KINDS:
        return
    kind = doc.get("kind")
    name = (doc.get("metadata") or {}).get("name") if isinstance(doc.get("metadata"), dict) else None
    label = f'{where}: {kind} "{name}"' if name else f"{where}: {kind}"
    if kind == "List":
        for i, item in enumerate(doc.get("items") or []):
            scan_object(item, f"{where} items[{i}]", found)
    elif kind == "ImageSet":
        for i, item in enumerate(doc.get("images") or []):
            ref = item.get("image") if isinstance(item, dict) else item
            found.add(ref, f"{label} images[{i}]")
    elif kind in _POD_SPEC:
        spec: Any = doc
        for key in _POD_SPEC[kind]:
            spec = spec.get(key) if isinstance(spec, dict) else None
        _scan_pod_spec(spec, label, ".".join(_POD_SPEC[kind]), found)


def _scan_pod_spec(spec: Any, label: str, path: str, found: Discovery) -> None:
    if not isinstance(spec, dict):
        return
    for key in _CONTAINER_LISTS:
        containers = spec.get(key)
        for i, container in enumerate(containers if isinstance(containers, list) else []):
            if isinstance(container, dict):
                found.add(container.get("image"), f"{label} {path}.{key}[{i}].image")
