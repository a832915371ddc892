"""Images of Helm charts. With `helm` on the build machine the chart is rendered by
`helm template`, exactly as it would install. Without it (or when the chart does not render,
e.g. a Helm 2 chart under Helm 3), images are read from the chart's
values.yaml (`image`, `repository` + `tag`, nested) and from `image:` lines of its templates whose
only template actions are `.Values` look-ups - and a warning names the chart, since that reading
can miss images. Templates are never parsed as plain YAML: they are not YAML until rendered."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from airlift_build.discover import Discovery

    Scan = Callable[[Any, str, Discovery], None]

_IMAGE_LINE = re.compile(r"^\s*(?:-\s+)?image:\s*(.+?)\s*$")
_VALUES_ACTION = re.compile(r"\{\{-?\s*\.Values\.([\w.]+)\s*-?\}\}")
HELM_TIMEOUT = 120


def find_charts(base: Path) -> list[Path]:
    """Chart folders under `base`: a Chart.yaml, or values.yaml beside a templates/ folder.
    Sub-charts (charts/ inside a chart) are rendered with their parent, not on their own."""
    charts: list[Path] = []
    candidates = {p.parent for p in base.rglob("Chart.yaml")}
    candidates |= {p.parent for p in base.rglob("values.yaml") if (p.parent / "templates").is_dir()}
    visible = {c for c in candidates if not any(part.startswith(".") for part in c.relative_to(base).parts)}
    for folder in sorted(visible, key=lambda p: len(p.parts)):
        if not any(folder.is_relative_to(c) for c in charts):
            charts.append(folder)
    return charts


def chart_images(chart: Path, base: Path, found: Discovery, scan: Scan) -> None:
    """Record the images of `chart`: `scan` reads each object `helm template` renders, when helm
    is installed and the chart renders; otherwise values and image: lines are read, with a warning."""
    rel = chart.relative_to(base).as_posix()
    helm = shutil.which("helm")
    if helm is None:
        _read_without_helm(chart, base, rel, found, "helm is not installed")
        return
    failure = _render(helm, chart, rel, found, scan)
    if failure:
        _read_without_helm(chart, base, rel, found, f"helm template failed ({failure})")


def _read_without_helm(chart: Path, base: Path, rel: str, found: Discovery, reason: str) -> None:
    for folder in [chart, *sorted(p.parent for p in (chart / "charts").rglob("Chart.yaml"))]:
        folder_rel = folder.relative_to(base).as_posix()
        _from_values(folder, folder_rel, found)
        _from_template_lines(folder, base, folder_rel, found)
    count = sum(1 for places in found.images.values() if any(p.startswith(f"{rel}/") for p in places))
    found.warnings.append(
        f"{rel}: {reason}, so the chart's {count} image(s) were read from values.yaml and the image: lines "
        "of its templates; check them with --list-images, or render the chart with helm")


def _render(helm: str, chart: Path, rel: str, found: Discovery, scan: Scan) -> str | None:
    """Scan what `helm template` renders; the reason it could not, or None."""
    try:
        result = subprocess.run([helm, "template", "airlift", str(chart)], capture_output=True, text=True,
                                timeout=HELM_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return f"no result in {HELM_TIMEOUT}s"
    if result.returncode != 0:
        return result.stderr.strip().splitlines()[-1][-300:] if result.stderr.strip() else f"exit {result.returncode}"
    try:
        docs = list(yaml.safe_load_all(result.stdout))
    except yaml.YAMLError as exc:
        return f"it printed invalid YAML: {exc}"
    for doc in docs:
        scan(doc, f"{rel} (helm template)", found)
    return None


def _load_values(chart: Path, rel: str, found: Discovery) -> dict[str, Any]:
    path = chart / "values.yaml"
    if not path.is_file():
        return {}
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        found.errors.append(f"{rel}/values.yaml{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})")
        return {}
    return values if isinstance(values, dict) else {}


def _from_values(chart: Path, rel: str, found: Discovery) -> None:
    for ref, key in _value_images(_load_values(chart, rel, found), ""):
        _add_candidate(ref, f"{rel}/values.yaml: {key}", found)


def _value_images(node: Any, prefix: str) -> list[tuple[str, str]]:
    """(reference, dotted key) for each image spelled out in a values tree."""
    out: list[tuple[str, str]] = []
    if isinstance(node, dict):
        repository = node.get("repository")
        if isinstance(repository, str) and repository and "tag" in node:
            registry = node.get("registry")
            ref = f"{registry}/{repository}" if isinstance(registry, str) and registry else repository
            out.append((f"{ref}:{node['tag']}", prefix or "(top level)"))
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "image" and isinstance(value, str):
                out.append((value, path))
            else:
                out.extend(_value_images(value, path))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            out.extend(_value_images(item, f"{prefix}[{i}]"))
    return out


def _from_template_lines(chart: Path, base: Path, rel: str, found: Discovery) -> None:
    values = _load_values(chart, rel, found)
    for template in sorted((chart / "templates").rglob("*")):
        if not template.is_file() or template.suffix not in (".yaml", ".yml", ".tpl"):
            continue
        for number, line in enumerate(template.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            match = _IMAGE_LINE.match(line)
            if match:
                ref = _VALUES_ACTION.sub(lambda m: _lookup(values, m.group(1)), match.group(1))
                _add_candidate(ref, f"{template.relative_to(base).as_posix()} line {number}", found)


def _lookup(values: dict[str, Any], dotted: str) -> str:
    node: Any = values
    for key in dotted.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    if node is None:
        return ""
    return str(node).lower() if isinstance(node, bool) else str(node)


def _add_candidate(ref: str, place: str, found: Discovery) -> None:
    """Add a reference read without rendering; one still holding template actions is left out."""
    ref = ref.strip().strip("\"'")
    if "{{" in ref or not ref:
        return
    before = len(found.errors)
    found.add(ref, place)
    if len(found.errors) > before:
        message = found.errors.pop()
        found.warnings.append(f"{message} (read without helm; left out)")
