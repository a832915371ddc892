"""`file://` values (logo, releaseNotes, installer.eula.source, hook jobs), resolved relative to
the manifest's folder so the bundle carries their content and needs nothing else."""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from typing import Any

import yaml

from installer.manifest.problems import Problems

FILE_SCHEME = "file://"
_LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp"}


def read_source(value: Any, path: str, base_dir: Path, problems: Problems) -> bytes | None:
    """Bytes of a `file://` value (None, with a problem, if it cannot be read); None for other values."""
    if not isinstance(value, str) or not value.startswith(FILE_SCHEME):
        return None
    name = value[len(FILE_SCHEME):]
    target = (base_dir / name).resolve()
    try:
        return target.read_bytes()
    except FileNotFoundError:
        problems.add(path, f'file "{name}" not found (looked for {target})')
    except OSError as exc:
        problems.add(path, f'file "{name}" cannot be read: {exc.strerror}')
    return None


def resolve_text(value: Any, path: str, base_dir: Path, problems: Problems) -> str | None:
    """The text a value stands for: the file's content for `file://`, else the value itself."""
    data = read_source(value, path, base_dir, problems)
    if data is not None:
        return data.decode("utf-8", errors="replace")
    if isinstance(value, str) and not value.startswith(FILE_SCHEME):
        return value
    return None


def resolve_logo(value: Any, base_dir: Path, problems: Problems) -> str | None:
    """The logo as something a browser shows offline: a `data:` URI. Web addresses give None,
    since the wizard must make no request off the host (loader warns about them)."""
    data = read_source(value, "logo", base_dir, problems)
    if data is None:
        return value if isinstance(value, str) and value.startswith("data:") else None
    suffix = Path(value).suffix.lower()
    mime = _LOGO_TYPES.get(suffix) or mimetypes.guess_type(value)[0]
    if mime is None or not mime.startswith("image/"):
        problems.add("logo", f'"{value}" is not an image (use .svg, .png, .jpg, .gif or .webp)')
        return None
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def parse_hook_job(text: str, path: str, source: str, problems: Problems) -> dict | None:
    """The Kubernetes Job in a hook's YAML; problems name the file and line, or what is not a Job."""
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problems.add(path, f"{source}{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})")
        return None
    if len(docs) != 1 or not isinstance(docs[0], dict):
        problems.add(path, f"{source}: must hold exactly one Kubernetes Job, found {len(docs)} documents")
        return None
    job = docs[0]
    if job.get("kind") != "Job" or not str(job.get("apiVersion", "")).startswith("batch/"):
        problems.add(path, f'{source}: is kind "{job.get("kind")}" ({job.get("apiVersion")}), '
                           "a hook must be a Job (apiVersion batch/v1)")
        return None
    containers = (((job.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")
    if not isinstance(containers, list) or not containers:
        problems.add(path, f"{source}: the Job has no spec.template.spec.containers")
        return None
    return job
