"""Why a bundle may not upgrade the install: each refusal names both versions and what to run.

Checked before the new bundle is verified (which reads every byte) and before anything changes:
the bundle is another application's, it is not newer (going back is `./install rollback`), an
operation is running on the cluster, it is a differential bundle built on another base than
the installed version, or it is not signed by the vendor key the site pinned
(installer/signer_pin.py; `allow_other_signer` is the operator's explicit say-so), or the site's
licence expired or does not suit the new version (installer/site_licence.py; `licence` is a new
licence file given with the upgrade). An upgrade that stopped part way is not refused: running
`./install upgrade` again with the same bundle continues it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from installer.bundle import Bundle
from installer.bundle.index import INDEX_NAME
from installer.cluster_service.operations import Operations
from installer.errors import AirliftError
from installer.signer_pin import refuse_untrusted
from installer.site_licence import upgrade_refusal
from installer.statedir import StateDir
from installer.statelock import lock_held
from installer.upgrade.installed import Installed
from installer.upgrade.version_order import compare_versions

UPGRADE_KIND = "upgrade"
ROLLBACK_KIND = "rollback"


@dataclass(frozen=True)
class Unfinished:
    """A day-2 operation whose plan has not ended: running, or stopped part way. An upgrade or a
    rollback names its versions (`from`, `to` in its operation.json; None if absent)."""

    id: str
    kind: str
    node: str
    state: str
    from_version: str | None = None
    to_version: str | None = None


def check_upgrade(new: Bundle, installed: Installed, allow_other_signer: bool = False,
                  licence: tuple[bytes, str] | None = None) -> None:
    """Raise the first reason `new` may not upgrade `installed`; return when it may. `licence` is
    (data, source) of a licence file the operator gave with the upgrade."""
    base = bundle_base(new)
    _same_application(new, installed)
    _nothing_running(new, installed)
    continuing = continued_upgrade(new, installed) is not None
    _newer(new, installed, continuing)
    if base is not None and not (continuing and new.version == installed.version):
        _on_installed_base(new, base, installed)
    refuse_untrusted(new, installed.state_dir, allow_other_signer)
    _licensed(new, installed, licence)


def _licensed(new: Bundle, installed: Installed, licence: tuple[bytes, str] | None) -> None:
    """An expired licence refuses the upgrade; a version that requires a licence needs one it accepts."""
    refusal = upgrade_refusal(new, installed.state_dir, len(installed.nodes), licence)
    if refusal is not None:
        raise refusal


def continued_upgrade(new: Bundle, installed: Installed) -> Unfinished | None:
    """The upgrade to `new`'s version that stopped part way, which this run carries on."""
    return next((op for op in unfinished_operations(installed)
                 if op.kind == UPGRADE_KIND and op.to_version == new.version), None)


def bundle_base(bundle: Bundle) -> dict | None:
    """A differential bundle's `base` ({name, version, index_sha256}) from its index; None for a
    full bundle (or a bundle built before differential bundles existed)."""
    try:
        doc = json.loads((bundle.root / INDEX_NAME).read_bytes())
    except (OSError, ValueError):
        return None
    base = doc.get("base") if isinstance(doc, dict) else None
    return base if isinstance(base, dict) else None


def unfinished_operations(installed: Installed) -> list[Unfinished]:
    """The day-2 operations whose plan has not ended. A failed expand or remove has ended (it is
    run again by hand, or not); a failed upgrade or rollback has not: it is carried on, or the
    upgrade rolled back, before anything else."""
    found = []
    paths = StateDir(installed.state_dir)
    for op in Operations(installed.state_dir, []).all():
        plan = op.store.load()
        state = plan.state if plan is not None else "unstarted"
        ended = ("completed",) if op.kind in (UPGRADE_KIND, ROLLBACK_KIND) else ("completed", "failed")
        if state in ended:
            continue
        meta = json.loads(paths.operation(op.id).meta.read_text(encoding="utf-8"))
        found.append(Unfinished(op.id, op.kind, op.node, state, _text(meta.get("from")), _text(meta.get("to"))))
    return found


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _same_application(new: Bundle, installed: Installed) -> None:
    if new.name != installed.name:
        raise AirliftError(
            f"This bundle is {new.name} {new.version}, but the application installed here is "
            f"{installed.name} {installed.version}",
            hint=f"run ./install upgrade from a newer bundle of {installed.name}; a bundle of another "
                 "application installs on its own cluster")


def _nothing_running(new: Bundle, installed: Installed) -> None:
    """One operation at a time: a running ./install holds the state directory's lock; a node
    being added or removed, a rollback, or an upgrade to another version has to end first."""
    if lock_held(installed.state_dir):
        raise AirliftError(f"Another ./install is running with the state directory {installed.state_dir} "
                           f"(an install, an upgrade or an uninstall of {installed.name})",
                           hint="wait for it to end (./install status shows the operations), then run "
                                "./install upgrade again")
    for op in unfinished_operations(installed):
        if op.kind == UPGRADE_KIND and op.to_version == new.version:
            continue  # carried on by this run
        what = (f"The {op.kind} of {installed.name} from {op.from_version} to {op.to_version} ({op.id})"
                if op.kind in (UPGRADE_KIND, ROLLBACK_KIND) else f"The {op.kind} operation {op.id}")
        raise AirliftError(f"{what} has not ended (it is {op.state.replace('_', ' ')}), so {installed.name} "
                           f"cannot be upgraded from {installed.version} to {new.version} now", hint=_finish_hint(op))


def _finish_hint(op: Unfinished) -> str:
    if op.kind == ROLLBACK_KIND:
        return "finish the rollback first: run ./install rollback, then ./install upgrade again"
    if op.kind == UPGRADE_KIND:
        return (f"finish it first: run ./install upgrade from the {op.to_version} bundle, or ./install rollback "
                f"to go back to {op.from_version}")
    if op.kind == "remove":
        return (f"let it end (./install status shows it), or finish it with ./install remove {op.node}, "
                "then run ./install upgrade again")
    return (f"let it end (./install status shows it); if node {op.node} is not joining any more, run its join "
            "command again to finish it, then run ./install upgrade again")


def _newer(new: Bundle, installed: Installed, continuing: bool) -> None:
    order = compare_versions(new.version, installed.version)
    if order > 0 or (order == 0 and continuing):
        return
    if order == 0:
        raise AirliftError(f"{installed.name} {installed.version} is already installed; this bundle holds the "
                           "same version, so there is nothing to upgrade",
                           hint=f"run ./install upgrade from a bundle of a version newer than {installed.version}; "
                                "./install status shows what is installed")
    raise AirliftError(f"This bundle holds {new.name} {new.version}, older than the installed {installed.version}; "
                       "an upgrade only moves forward",
                       hint="to go back to the version installed before the last upgrade, run ./install rollback; "
                            f"to upgrade, run ./install upgrade from a bundle newer than {installed.version}")


def _on_installed_base(new: Bundle, base: dict, installed: Installed) -> None:
    """A differential bundle lacks what its base had, so only that exact base may take it."""
    wanted = str(base.get("index_sha256") or "")
    if wanted == installed.index_sha256:
        return
    named = f"{base.get('name', '?')} {base.get('version', '?')}"
    raise AirliftError(
        f"This differential bundle of {new.name} {new.version} upgrades {named} only (index sha256 "
        f"{wanted[:12] or 'not given'}), but the installed {installed.name} {installed.version} has index sha256 "
        f"{installed.index_sha256[:12]}",
        details="a differential bundle leaves out the image blobs and runtime files its base already had, so "
                "on another installed version they would be missing",
        hint=f"run ./install upgrade from the full bundle of {new.name} {new.version}, or from a differential "
             f"bundle built against the installed {installed.name} {installed.version} "
             "(python build.py app.yaml --since <its bundle or index.json>)")
