"""Docs that stay true: every repository path and every Python module the docs name exists.

A path counts when it starts with a top-level folder of the repository (`installer/...`,
`tests/k3s-standin/`, `static/js/*.js`) or, for a doc outside the root, with an entry of its own
folder (packaging/README.md names `airlift_build/freeze.py`). Paths on hosts and in bundles
(`<state>/wizard/url`, `/var/lib/airlift`, `bin/airlift`) start elsewhere, and what .gitignore
lists is made by builds and tests (`tests/artifacts/`): neither is checked.
A dotted name (`installer.engine.Engine`, `airlift_build.discover.discover_images`) counts when
its longest module prefix is a module of the tree and the rest are attributes of it; a file name
(`wizard.md`) and a field of the manifest's `installer` section (`installer.flavors.default`)
are not module names.
"""

import importlib
import itertools
import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "packaging" / "README.md"]
PACKAGES = {"installer": REPO / "installer", "wizard": REPO / "wizard", "panel": REPO / "panel",
            "airlift_build": REPO / "packaging" / "airlift_build"}

# Not inside another path or a URL, not after `<state>/`, `~/`, `$X/` or `--flag=`/`oci:`.
BEFORE = r"(?<![\w./<>~$:=@-])"
SEGMENT = r"(?:[\w*-][\w.*-]*|\{[\w.*-]+(?:,[\w.*-]+)+\})"
DOTTED = re.compile(BEFORE + r"((?:installer|wizard|panel|airlift_build)(?:\.[A-Za-z_]\w*)+)(?![\w/-])")
FILE_SUFFIXES = {"md", "py", "txt", "log", "yaml", "yml", "json", "jsonl", "html", "css", "js", "sh", "spec"}
IGNORED = [line.strip().rstrip("/") for line in (REPO / ".gitignore").read_text().splitlines()
           if line.strip() and not line.startswith("#")]


def _manifest_installer_fields() -> set[str]:
    schema = json.loads((REPO / "installer/manifest/schema/bundle-v2.json").read_text())
    manifest = schema["definitions"][schema["$ref"].rsplit("/", 1)[-1]]
    return set(manifest["properties"]["installer"]["properties"])


def module_names(text: str) -> list[str]:
    """The dotted names in `text` that mean a module (or something in one)."""
    fields = _manifest_installer_fields()
    found = []
    for match in DOTTED.finditer(text):
        parts = match.group(1).split(".")
        if parts[-1] in FILE_SUFFIXES or (parts[0] == "installer" and parts[1] in fields):
            continue
        found.append(match.group(1))
    return found


def _roots(doc: Path) -> dict[str, Path]:
    """Top-level names a path in `doc` may start with, and the folder each one resolves in."""
    roots = {p.name: REPO for p in REPO.iterdir() if not p.name.startswith(".") and p.name not in IGNORED}
    if doc.parent != REPO:
        roots.update({p.name: doc.parent for p in doc.parent.iterdir() if not p.name.startswith(".")})
    return roots


def named_paths(doc: Path) -> list[tuple[str, Path]]:
    """(path as written, folder it is relative to) for each repository path in `doc`."""
    text = doc.read_text()
    roots = _roots(doc)
    names = "|".join(re.escape(n) for n in sorted(roots, key=len, reverse=True))
    pattern = re.compile(BEFORE + rf"((?:{names})/(?:{SEGMENT}/)*{SEGMENT}?/?)(?![\w/])")
    found = []
    for match in pattern.finditer(text):
        path = match.group(1).rstrip(".")
        base = roots[path.split("/")[0]]
        relative = str((base / path).relative_to(REPO))
        if not any(relative == i or relative.startswith(i + "/") for i in IGNORED):
            found.append((path, base))
    return found


def _expand(path: str) -> list[str]:
    """`tests/{unit,lab}` -> `tests/unit`, `tests/lab` (one level of shell braces)."""
    parts = re.split(r"\{([^}]*)\}", path)
    choices = [[p] if i % 2 == 0 else p.split(",") for i, p in enumerate(parts)]
    return ["".join(combo) for combo in itertools.product(*choices)]


def exists(path: str, base: Path) -> bool:
    return all(any(base.glob(p.rstrip("/"))) if "*" in p else (base / p).exists() for p in _expand(path))


def _module_file(name: str) -> Path | None:
    top, *rest = name.split(".")
    folder = PACKAGES[top].joinpath(*rest)
    for candidate in (folder / "__init__.py", folder.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def resolves(dotted: str) -> bool:
    """The longest module prefix exists; the rest is an attribute chain of that module (imported,
    so names re-exported by a package count), or a name its source defines, such as an instance
    attribute (`self.bus = ...`)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        source = _module_file(".".join(parts[:cut]))
        if source is not None:
            break
    else:
        return False
    obj: object = importlib.import_module(".".join(parts[:cut]))
    for attr in parts[cut:]:
        if not hasattr(obj, attr):
            return re.search(rf"(?:def |class |self\.|^\s*){re.escape(attr)}\b", source.read_text(), re.M) is not None
        obj = getattr(obj, attr)
    return True


def _cases(kind: str) -> list:
    cases = []
    for doc in DOCS:
        where = doc.relative_to(REPO)
        if kind == "path":
            cases += [pytest.param(path, base, id=f"{where}:{path}") for path, base in named_paths(doc)]
        else:
            cases += [pytest.param(name, id=f"{where}:{name}") for name in module_names(doc.read_text())]
    return cases


@pytest.mark.parametrize(("path", "base"), _cases("path"))
def test_every_path_a_doc_names_exists(path, base):
    assert exists(path, base), f"{path} is named in the docs but is not in the tree (moved? fix the doc)"


@pytest.mark.parametrize("dotted", _cases("module"))
def test_every_module_a_doc_names_exists(dotted):
    assert resolves(dotted), f"{dotted} is named in the docs but no such module or attribute exists"


def test_the_patterns_find_paths_and_leave_prose_alone(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("See installer/engine.py, `tests/{unit,lab}` and static/js/*.js. The state in\n"
                   "<state>/installer/install, /var/lib/airlift/installer/x, ~/installer/y, oci:examples/a,\n"
                   "https://example.com/installer/z, tests/artifacts/wizard/; installer.engine.Engine,\n"
                   "logs/installer.log, wizard.md and the manifest's installer.flavors.default.\n")
    paths = [path for path, _ in named_paths(doc)]
    assert paths == ["installer/engine.py", "tests/{unit,lab}", "static/js/*.js"]
    assert module_names(doc.read_text()) == ["installer.engine.Engine"]
    assert exists("tests/{unit,integration}", REPO) and not exists("tests/{unit,nowhere}", REPO)
    assert resolves("installer.engine.Engine.snapshot") and resolves("installer.engine.Engine.bus")
    assert not resolves("installer.nowhere") and not resolves("installer.engine.Nothing")
