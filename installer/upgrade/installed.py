"""What is installed, as an upgrade sees it: read from the state directory of the first master.

The install's /cluster-service phase keeps the bundle's index.json, app.yaml and images/index.json
in `<state>/bundle/`, and /bootstrap the applied resources in `<state>/app/`; the nodes that joined
are in nodes.json and the facts each node's checks gathered in facts.json (this host) and
`facts/<node>.json`. The image blobs themselves are not kept there: the kept index lists them,
which is all an upgrade needs to tell the new bytes from those the registry already holds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from installer import answers as answers_mod
from installer.answers import Answers
from installer.app_documents import load_documents
from installer.bundle import Bundle, BundleError
from installer.bundle.index import INDEX_NAME
from installer.errors import AirliftError
from installer.manifest import Manifest, ManifestError, load_manifest
from installer.plan import Plan, PlanStore
from installer.statedir import StateDir


@dataclass(frozen=True)
class InstalledNode:
    """One node of the installed cluster and where its saved facts are."""

    name: str
    profile: str
    facts: Path
    first: bool = False


@dataclass(frozen=True)
class Installed:
    """The installed application: its kept bundle part, manifest, resources, answers and nodes."""

    state_dir: Path
    bundle: Bundle
    index_bytes: bytes
    manifest: Manifest
    documents: list[dict]
    answers: Answers
    nodes: tuple[InstalledNode, ...]

    @property
    def name(self) -> str:
        return self.bundle.name

    @property
    def version(self) -> str:
        return self.bundle.version

    @property
    def index_sha256(self) -> str:
        """What a differential bundle names as its base (`base.index_sha256`)."""
        return hashlib.sha256(self.index_bytes).hexdigest()


def find_installed(state_dir: Path) -> Installed:
    """The completed install in `state_dir`; AirliftError when there is none or it is unfinished."""
    paths = StateDir(state_dir)
    try:
        plan = PlanStore(paths.root).load()
        if plan is None:
            raise AirliftError(f"Nothing is installed with the state directory {paths.root}",
                               hint="run ./install upgrade on the first master of the installed cluster (the "
                                    "host the install ran on), with --state-dir if the install used another "
                                    "state directory")
        _require_completed(plan, paths)
        index_bytes = (paths.bundle / INDEX_NAME).read_bytes()
        bundle = Bundle.open(paths.bundle)
        manifest = load_manifest(paths.app_manifest)
        answers = answers_mod.saved(paths.answers)
        return Installed(paths.root, bundle, index_bytes, manifest, load_documents(paths.app), answers,
                         _nodes(plan, answers, paths))
    except PermissionError as exc:
        raise AirliftError(f"Cannot read the install's state in {paths.root}: {exc.strerror}",
                           hint="run ./install upgrade as root") from None
    except (BundleError, ManifestError, OSError, ValueError) as exc:
        raise AirliftError(f"The install's state in {paths.root} cannot be read: {exc}",
                           hint="restore the state directory from a backup; nothing was changed") from None


def _require_completed(plan: Plan, paths: StateDir) -> None:
    """Upgrade only what is fully installed: an unfinished install is finished first."""
    if plan.state == "completed" and (paths.bundle / INDEX_NAME).is_file():
        return
    failed = [p.id for p in plan.phases if p.state == "failed"]
    where = f" (phase {failed[0]} failed)" if failed else f" (it is {plan.state.replace('_', ' ')})"
    raise AirliftError(f"The install in {paths.root} has not completed{where}, so there is nothing to upgrade yet",
                       hint="finish it first: run ./install --resume from the bundle it was started with, "
                            "then run ./install upgrade from the new bundle")


def _nodes(plan: Plan, answers: Answers, paths: StateDir) -> tuple[InstalledNode, ...]:
    """This host (the first master: the install plan's first node), then the nodes that joined."""
    first = InstalledNode(str(plan.phases[0].node), str(answers.profile), paths.facts, first=True)
    joined = json.loads(paths.nodes.read_text(encoding="utf-8")) if paths.nodes.is_file() else []
    return (first, *(InstalledNode(str(n["name"]), str(n["profile"]), paths.node_facts(str(n["name"])))
                     for n in joined))
