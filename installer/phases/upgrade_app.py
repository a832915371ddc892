"""Phase /app of an upgrade and of a rollback, and a rollback's /hooks/rollback.

Upgrade: the new version's resources are applied, the ones it no longer has are deleted (the
installed documents, kept in `<state>/previous/app`, against the new), the `update` hook Job runs,
and `<state>/app` then holds the new documents (status reads its endpoints there). Rollback: the
previous documents are applied again and the ones the new version added are deleted. Applying is
declarative and deleting ignores what is gone, so both are safe to run twice.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from installer.app_documents import RESOURCES_FILE, load_documents
from installer.phases.hooks import run_hook
from installer.phases.inputs import PhaseInputs
from installer.runtime import K3sRuntime
from installer.statedir import StateDir
from installer.upgrade.record import record_in
from installer.upgrade.versions import MANIFEST, target_documents, target_manifest, target_of

PHASE = "/app"


def upgrade(ctx: PhaseInputs) -> None:
    paths = StateDir(ctx.state_dir)
    target = target_of(ctx.state_dir, record_in(ctx.operation))
    _move(ctx, target / RESOURCES_FILE, load_documents(paths.previous_app), load_documents(target))
    run_hook(ctx, "update", PHASE)
    _install_documents(ctx, target)


def rollback(ctx: PhaseInputs) -> None:
    paths = StateDir(ctx.state_dir)
    added = target_documents(ctx.state_dir, record_in(ctx.operation))
    _move(ctx, paths.previous_app / RESOURCES_FILE, added, load_documents(paths.previous_app))
    _install_documents(ctx, paths.previous_app)


def rollback_hook(ctx: PhaseInputs) -> None:
    """/hooks/rollback: the `rollback` hook of the version being left (the new manifest's)."""
    manifest = target_manifest(ctx.state_dir, record_in(ctx.operation))
    run_hook(replace(ctx, manifest=manifest), "rollback", "/hooks/rollback")


def _move(ctx: PhaseInputs, apply: Path, before: list[dict], after: list[dict]) -> None:
    """Apply the documents of `apply` (those of `after`), then delete those of `before` that
    `after` lacks."""
    ctx.runtime.apply([apply])
    ctx.bus.log_line(f"{len(after)} resource(s) applied", phase=PHASE)
    kept = {_key(d) for d in after}
    for doc in before:
        if _key(doc) not in kept:
            _delete(ctx.runtime, doc)
            ctx.bus.log_line(f"Deleted {doc.get('kind')} {_key(doc)[2]}: the version now installed has none",
                             phase=PHASE)


def _key(doc: dict) -> tuple[str, str, str]:
    meta = doc.get("metadata") or {}
    return str(doc.get("kind")), str(meta.get("namespace") or "default"), str(meta.get("name"))


def _delete(runtime: K3sRuntime, doc: dict) -> None:
    kind, namespace, name = _key(doc)
    runtime.kubectl(["delete", kind.lower(), name, "-n", namespace, "--ignore-not-found"])


def _install_documents(ctx: PhaseInputs, source: Path) -> None:
    """`<state>/app` becomes the documents and manifest of `source` (status and the cluster
    service read them there)."""
    app = StateDir(ctx.state_dir).app
    for name in (RESOURCES_FILE, MANIFEST):
        ctx.host.write_file(app / name, (source / name).read_bytes())
