"""Running an upgrade (`./install upgrade`, from the new bundle on the first master) and a
rollback (`./install rollback`): each a persisted, resumable operation in
`<state>/operations/<id>/` (installer/upgrade/record.py), its plan built in
installer/plan/builders.py and its phases found in UPGRADE_PHASES / ROLLBACK_PHASES
(installer/phases/table.py).

The run happens in this process, not in the cluster service: the upgrade replaces the very
installer the service runs. So the service `airlift-cluster` is stopped and, when the cluster has
other nodes, this process listens on the agent port with the same certificate, token and nodes,
so their persistent agents reconnect to it and take its tasks (as the install's resume does).
The end of the run, whether it completed or failed, starts the service and the control panel
(`airlift-panel`, which runs the kept installer too; this run leaves it serving meanwhile) again
with the installer then kept, so the site keeps its day-two services. Running the same command again carries an interrupted operation on.
A failure never removes anything; its error says what to run next.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from installer import answers as answers_mod
from installer.agent_hub import AgentHub
from installer.agent_hub.nodes import JoinedNodes
from installer.bundle import Bundle
from installer.cluster_service import service
from installer.cluster_service.kept import kept_bundle, site_base
from installer.errors import AirliftError
from installer.events import Event, EventBus, EventLog
from installer.host import Host
from installer.manifest import Manifest, load_manifest
from installer.phases.inputs import PhaseInputs
from installer.phases.table import ROLLBACK_PHASES, UPGRADE_PHASES
from installer.plan import PhaseFailed, PlanStore, build_rollback_plan, build_upgrade_plan, run_plan
from installer.services import manager_for
from installer.services.names import CONTROLLER, PANEL
from installer.statedir import StateDir
from installer.statelock import StateLock
from installer.upgrade.history import last, store, unfinished
from installer.upgrade.record import UpgradeRecord
from installer.upgrade.versions import (
    MANIFEST,
    keep_target,
    previous_bundle,
    runtime_digests,
    target_manifest,
    with_runtime,
)


def upgrade(new_bundle_dir: Path, state_dir: Path, root: Path, bus: EventBus, diff: Any) -> None:
    """Move the installed cluster to the bundle in `new_bundle_dir` (verified and accepted by the
    caller), or carry on the interrupted upgrade to it. Of `diff` (installer.upgrade.diff.UpgradeDiff)
    only `runtime_changed` is read; without it the two bundles' runtime files are compared. A
    differential bundle's left-out files are read where the site keeps them (site_base)."""
    state_dir = Path(state_dir)
    bundle = Bundle.open(Path(new_bundle_dir), site_base(state_dir))
    manifest = load_manifest(bundle.manifest_path)
    host = Host(Path(root))
    with StateLock(state_dir):
        record = _upgrade_record(host, state_dir, bundle, manifest, diff)
        bus.emit(Event("operation", "started", f"Upgrading {bundle.name} {record.from_version} to {record.to_version}"))
        _run(host, state_dir, bus, record, bundle, manifest, UPGRADE_PHASES)
    bus.emit(Event("operation", "completed", f"{bundle.name} {record.to_version} is installed; "
                   f"./install rollback goes back to {record.from_version}"))


def rollback(state_dir: Path, root: Path, bus: EventBus) -> None:
    """Take the cluster back to the version before the last upgrade (completed or not), or carry
    on the interrupted rollback."""
    state_dir = Path(state_dir)
    host = Host(Path(root))
    with StateLock(state_dir):
        record = _rollback_record(state_dir)
        bundle = previous_bundle(state_dir)
        if record.runtime_changed:
            bundle = with_runtime(bundle, state_dir)
        manifest = load_manifest(StateDir(state_dir).previous_app / MANIFEST)
        bus.emit(Event("operation", "started", f"Rolling {bundle.name} back from {record.from_version} to "
                       f"{record.to_version}"))
        _run(host, state_dir, bus, record, bundle, manifest, ROLLBACK_PHASES)
    bus.emit(Event("operation", "completed", f"{bundle.name} {record.to_version} is installed again"))


def _upgrade_record(host: Host, state_dir: Path, bundle: Bundle, manifest: Manifest, diff: Any) -> UpgradeRecord:
    """The interrupted upgrade to this bundle's version, else a new upgrade with its plan."""
    pending = unfinished(state_dir)
    if pending is not None and pending.kind == "upgrade" and pending.to_version == bundle.version:
        return pending
    if pending is not None:
        again = ("./install rollback" if pending.kind == "rollback"
                 else f"./install upgrade from the {pending.to_version} bundle, or ./install rollback")
        raise AirliftError(f"The {pending.kind} from {pending.from_version} to {pending.to_version} stopped part "
                           f"way ({pending.id})", hint=f"finish it first: {again}")
    bundle.require_base()  # refused before anything changes when the site lacks a file
    installed = kept_bundle(state_dir)
    changed = getattr(diff, "runtime_changed", None)
    if changed is None:
        changed = runtime_digests(installed) != runtime_digests(bundle)
    first = _first_master(state_dir)
    record = UpgradeRecord.new("upgrade", first, installed.version, bundle.version, bool(changed))
    folder = record.folder(state_dir)
    folder.root.mkdir(parents=True, mode=0o700)
    keep_target(host, bundle, manifest, folder.target)
    others = _masters_first(state_dir, manifest, first)
    PlanStore(folder.root).create(build_upgrade_plan(first, others, manifest.hooks))
    record.save(state_dir)
    return record


def _rollback_record(state_dir: Path) -> UpgradeRecord:
    """The interrupted rollback, else a new rollback of the last upgrade with its plan."""
    pending = unfinished(state_dir)
    if pending is not None and pending.kind == "rollback":
        return pending
    latest = last(state_dir)
    if latest is None or latest.kind != "upgrade":
        done = f" (the upgrade to {latest.from_version} was rolled back already)" if latest else ""
        raise AirliftError(f"There is no upgrade to roll back in {state_dir}{done}",
                           hint="./install rollback goes back to the version before the last upgrade; "
                                "./install status shows the version installed")
    plan = store(state_dir, latest).load()
    reached = [p.node for p in plan.phases if p.id.startswith("/runtime/") and p.state != "unstarted"] if plan else []
    record = UpgradeRecord.new("rollback", latest.node, latest.to_version, latest.from_version,
                               latest.runtime_changed, upgrade=latest.id)
    record.folder(state_dir).root.mkdir(parents=True, mode=0o700)
    hooks = target_manifest(state_dir, latest).hooks
    PlanStore(record.folder(state_dir).root).create(build_rollback_plan(latest.node, [n for n in reached if n],
                                                                        hooks))
    record.save(state_dir)
    return record


def _first_master(state_dir: Path) -> str:
    install = PlanStore(state_dir).load()
    if install is None or install.state != "completed":
        raise AirliftError(f"No completed install in {state_dir} to upgrade",
                           hint="finish the install first (./install --resume from its bundle)")
    return str(install.phases[0].node)


def _joined(state_dir: Path) -> JoinedNodes:
    nodes = JoinedNodes()
    nodes.attach(state_dir)
    return nodes


def _masters_first(state_dir: Path, manifest: Manifest, first: str) -> list[str]:
    """The other nodes, masters first (k3s upgrades servers before agents)."""
    def master(profile: str) -> bool:
        known = manifest.profiles.get(profile)
        return known is not None and known.service_role == "master"
    nodes = [n for n in _joined(state_dir).nodes() if n.name != first]
    return [n.name for n in sorted(nodes, key=lambda n: not master(n.profile))]


def _run(host: Host, state_dir: Path, bus: EventBus, record: UpgradeRecord, bundle: Bundle, manifest: Manifest,
         table: Mapping[str, Callable[..., None]]) -> None:
    folder = record.folder(state_dir)
    bus.attach_log(EventLog(folder.events))
    services = manager_for(host, state_dir)
    answers = answers_mod.saved(StateDir(state_dir).answers)
    plan = store(state_dir, record).load()
    if plan is None:
        raise AirliftError(f"The {record.kind} {record.id} has no plan in {folder.root}",
                           hint=f"remove {folder.root}, then run the command again")
    service.stop(services, CONTROLLER)  # this process takes the agent port until /installer
    hub = _listen(bus, state_dir, manifest, answers, record.node)
    try:
        ctx = PhaseInputs(bundle=bundle, manifest=manifest, answers=answers, host=host, services=services,
                          state_dir=state_dir, bus=bus, node=record.node, agents=hub, operation=folder.root)
        run_plan(plan, store(state_dir, record), ctx, bus, str(folder.events), table)
    except PhaseFailed as exc:
        raise AirliftError(exc.message, details=exc.details, hint=_next_step(exc, record)) from exc
    finally:
        if hub is not None:
            hub.stop()
        service.start_day_two(services, host, state_dir)
        bus.log_line(f"Services {CONTROLLER} and {PANEL} started with the installer now kept; the other nodes' "
                     "agents reconnect to it")


def _listen(bus: EventBus, state_dir: Path, manifest: Manifest, answers: answers_mod.Answers,
            first: str) -> AgentHub | None:
    """With other nodes, the agent API on the cluster service's port for their agents."""
    if not _joined(state_dir).nodes():
        return None
    hub = AgentHub(bus, manifest.flavor(str(answers.flavor)), first, str(answers.profile))
    hub.listen(state_dir, str(answers.advertise_addr), answers.agent_port)
    return hub


def _next_step(exc: PhaseFailed, record: UpgradeRecord) -> str:
    """The failed phase's hint, then what to run: carry on, or (an upgrade) go back."""
    cause = exc.__cause__
    hint = ((cause.hint if isinstance(cause, AirliftError) else None) or "Fix the cause above").rstrip(". ")
    hint = hint.removesuffix(", then run ./install --resume")
    if record.kind == "upgrade":
        return (f"{hint}, then run ./install upgrade again (from the {record.to_version} bundle) to continue; or "
                f"./install rollback to go back to {record.from_version}. Nothing was uninstalled.")
    return f"{hint}, then run ./install rollback again to finish going back to {record.to_version}"
