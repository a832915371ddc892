"""The installer engine: the one owner of an install's state and work; front-ends only drive it.

The CLI and the wizard both call this API (docs/contracts.md "Engine API"). Before the first
change to the host the engine verifies the bundle, validates the answers and runs the host
checks, all in memory; only then does it create the state directory, save the answers and the
plan, and run the phases. A lock file in the state directory is held while it runs, so a second
start (another terminal, a second browser, a double click) is refused.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from installer import answers as answers_mod
from installer import site_licence
from installer.agent_hub import AgentHub, ssh_reach
from installer.app_documents import endpoints, load_documents
from installer.bundle import Bundle
from installer.bundle.licence_key import licence_key
from installer.cluster_service import service as cluster_service
from installer.errors import AirliftError
from installer.events import Event, EventBus, EventLog
from installer.facts.addresses import HostNetwork, probe_network
from installer.host import Host
from installer.licence import Licence
from installer.manifest import Flavor, Problem, load_manifest
from installer.phases import PhaseInputs, checks
from installer.plan import Plan, PlanStore, build_install_plan, run_plan
from installer.services import manager_for
from installer.services.names import CONTROLLER
from installer.statedir import StateDir
from installer.statelock import StateLock
from installer.status.snapshot import build_snapshot

log = logging.getLogger(__name__)


def refuse_differential(bundle: Bundle) -> None:
    """A differential bundle carries only what changed since its base, so it can upgrade a site
    running that base but never install one: refuse before anything is checked or touched."""
    base = bundle.index.base
    if base is not None:
        raise AirliftError(
            f"{bundle.name} {bundle.version} is a differential bundle: it carries only what changed since "
            f"{base.name} {base.version}, so it cannot install a new site",
            hint=f"install from the full {bundle.name} bundle; on a site running {base.version}, run "
                 "./install upgrade from this bundle")


class Engine:
    def __init__(self, bundle_dir: Path, state_dir: Path, root: Path = Path("/")) -> None:
        self.bundle = Bundle.open(Path(bundle_dir))
        refuse_differential(self.bundle)
        self.manifest = load_manifest(self.bundle.manifest_path)
        self.state_dir = Path(state_dir)
        self.paths = StateDir(self.state_dir)
        self.host = Host(Path(root))
        self.services = manager_for(self.host, self.state_dir)
        self.bus = EventBus()
        self.store = PlanStore(self.state_dir)
        self.node = socket.gethostname()
        self._network: HostNetwork | None = None
        self._answers: dict = {}
        self._check_results: list = []
        self._licence: tuple[bytes, str, Licence] | None = None  # the licence file given, its name, what it grants
        self._operation: dict = {"status": "idle"}
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()
        self.agents: AgentHub | None = None
        self.ssh = ssh_reach.SshNodes(self.bus, self.bundle.root, self.state_dir)
        if self.state_dir.is_dir() and os.access(self.state_dir, os.W_OK):
            self._attach_state()  # (a non-root `./install check` only reads)

    # --- what front-ends read -------------------------------------------------------------

    def snapshot(self) -> dict:
        """Everything a front-end shows, JSON-able (see installer/status/snapshot.py for its shape)."""
        return build_snapshot(self)

    def events_since(self, seq: int) -> list[Event]:
        return self.bus.since(seq)

    def plan(self) -> Plan:
        """The stored plan, or the plan an install would run (nothing stored yet)."""
        return self.store.load() or build_install_plan(self.node, self._joined())

    def _joined(self) -> list[str]:
        return [n.name for n in self.agents.nodes.nodes()] if self.agents else []

    @property
    def answers(self) -> dict:
        return dict(self._answers)

    @property
    def check_results(self) -> list:
        return list(self._check_results)

    @property
    def operation(self) -> dict:
        return dict(self._operation)

    def network(self) -> HostNetwork:
        """This host's addresses and default route, probed once: the answers are checked against them."""
        if self._network is None:
            self._network = probe_network()
        return self._network

    def licence(self) -> dict:
        """{required, key_id, accepted: the licence given (its fields) or None}: what the Licence
        screen shows."""
        key = licence_key(self.bundle)
        accepted = self._licence[2].to_dict() if self._licence else None
        return {"required": key is not None, "key_id": key.key_id if key else None, "accepted": accepted}

    def endpoints(self) -> list[dict]:
        answers = self._answers.get("advertise-addr") or ""
        return endpoints(self.manifest, load_documents(self.paths.app), answers)

    # --- answers and checks ----------------------------------------------------------------

    def validate_answers(self, data: dict) -> list[Problem]:
        return answers_mod.validate(self._with_state_dir(data), self.manifest, self.network())

    def set_answers(self, data: dict) -> None:
        """Keep answers for the next start; raises AnswersError listing every problem."""
        data = self._with_state_dir(data)
        resolved = answers_mod.resolve(data, self.manifest, self.network())
        if self._licence is not None:  # a cluster bigger than the licence allows is refused before it listens
            self._check_licence(self._licence[:2], self.manifest.flavor(str(resolved.flavor)))
        self._answers = resolved.to_dict()
        self._listen_for_nodes(resolved)

    def set_licence(self, data: bytes, source: str) -> dict:
        """Check a licence file (signed by the bundle's licence key, for this application, not
        expired, for as many nodes as the flavor chosen so far) and keep it for the install, which
        checks it again and keeps it in the state directory; LicenceError says why it is refused."""
        flavor = self.manifest.flavor(str(self._answers["flavor"])) if self._answers.get("flavor") else None
        licence = self._check_licence((data, source), flavor)
        self._licence = (data, source, licence)
        self.bus.log_line(f"Licence accepted: {licence.describe()}")
        return licence.to_dict()

    def _check_licence(self, given: tuple[bytes, str], flavor: Flavor | None) -> Licence:
        nodes = flavor.node_count if flavor else None
        return site_licence.for_install(self.bundle, *given, nodes, f"the flavor {flavor.name}" if flavor else "")

    def _listen_for_nodes(self, answers: answers_mod.Answers) -> None:
        """With a flavor of several nodes, listen for their agents (creates the state directory,
        which keeps the join token and the certificate the join command names)."""
        flavor = self.manifest.flavor(str(answers.flavor))
        hub = self.agents
        if flavor.node_count < 2:
            if hub is not None and not hub.nodes.nodes():  # the operator chose one host after all
                hub.stop()
                self.agents = None
            return
        moved = hub is not None and (hub.address, hub.port) != (answers.advertise_addr, answers.agent_port)
        if hub is not None and moved and not hub.nodes.nodes():  # no node uses the old address yet
            hub.stop()
            hub = None
        if hub is None:
            self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._attach_state()
            hub = AgentHub(self.bus, flavor, self.node, str(answers.profile))
            hub.listen(self.state_dir, str(answers.advertise_addr), answers.agent_port)
            self.agents = hub
        hub.flavor, hub.first_profile = flavor, str(answers.profile)  # the operator may pick another

    def inspect_ssh_node(self, spec: dict) -> dict:
        """The host key a host shows and the secret it needs, for the operator to confirm before
        the first login (installer.agent_hub.ssh_reach.inspect); a changed key is refused."""
        self._with_ssh_node(spec)
        return ssh_reach.inspect(spec, self.state_dir)

    def add_ssh_node(self, spec: dict, secret: str | None = None, fingerprint: str | None = None) -> None:
        """Reach one more host over SSH now, in the background, with its password or key
        passphrase (kept in memory only). The host is added to the answers (without the secret),
        so the saved answers replay it; `fingerprint` is the host key the operator confirmed."""
        data = self._with_ssh_node(spec)
        if self.agents is None:
            raise AirliftError("Only a cluster of several nodes reaches other hosts.",
                               hint="Choose a cluster size with several nodes first.")
        self.ssh.check(self.agents, spec, secret)
        self.set_answers(data)
        self.ssh.add(self.agents, spec, secret, fingerprint)

    def _with_ssh_node(self, spec: dict) -> dict:
        """The answers with `spec` added to (or replacing the same address in) `nodes`, validated."""
        others = [n for n in self._answers.get("nodes") or [] if n.get("address") != spec.get("address")]
        data = {**self._answers, "nodes": [*others, spec]}
        problems = self.validate_answers(data)
        if problems:
            raise answers_mod.AnswersError(problems)
        return data

    def resolved_answers(self) -> answers_mod.Answers:
        return answers_mod.resolve(self._with_state_dir(self._answers), self.manifest, self.network())

    def run_checks(self) -> list:
        """Run the host checks with the current answers; changes nothing on the host."""
        self._check_results = checks.run(self._inputs(self.resolved_answers())).results
        return self.check_results

    def verify_bundle(self) -> None:
        """Check every file of the bundle against its index; BundleError names each bad file."""
        self.bus.log_line(f"Verifying bundle {self.bundle.name} {self.bundle.version}")
        self.bundle.verify(self.bus.progress(None, "bytes", "Verifying the bundle"))
        self.bus.log_line("Bundle verified: every file matches its index")

    # --- running ---------------------------------------------------------------------------

    def start(self, background: bool = False) -> None:
        """Verify, validate, check, then create the state and run the install plan."""
        self._launch(self._install, background)

    def resume(self, background: bool = False, overrides: dict | None = None) -> None:
        """Continue the stored plan from where it stopped (after a failure or a crash).

        `overrides` change saved answers for this run and later ones (e.g. a longer
        ready-timeout after a slow start); they are validated and saved like the rest.
        """
        self._launch(partial(self._resume, dict(overrides or {})), background)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a background run to end."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _launch(self, work: Callable[[], None], background: bool) -> None:
        with self._guard:
            if self._operation["status"] == "running":
                raise AirliftError("The install is already running", hint="wait for it to finish")
            self._operation = {"status": "running", "started": time.time()}
        if not background:
            self._run(work)
            return
        self._thread = threading.Thread(target=self._run_quietly, args=(work,), name="airlift-install", daemon=True)
        self._thread.start()

    def _run_quietly(self, work: Callable[[], None]) -> None:
        try:
            self._run(work)
        except AirliftError:
            pass  # recorded in the operation status and the events
        except Exception:
            log.exception("internal error in the install")

    def _run(self, work: Callable[[], None]) -> None:
        started = self._operation["started"]
        try:
            try:
                work()
            except OSError as exc:  # a full disk or a read-only folder under the state or the root
                raise AirliftError(f"Cannot write {exc.filename or self.state_dir}: {exc.strerror or exc}",
                                   hint="free space or fix the permissions there, then run ./install --resume") from exc
        except AirliftError as exc:
            self._finish("failed", started, error={"message": exc.message, "hint": exc.hint, "details": exc.details})
            raise
        except Exception as exc:
            log.exception("internal error")
            self._finish("failed", started, error={"message": f"internal error: {exc}", "hint": None,
                                                   "details": f"See the log: {self.log_path}"})
            raise
        self._finish("completed", started)

    def _finish(self, status: str, started: float, error: dict | None = None) -> None:
        self._operation = {"status": status, "started": started, "finished": time.time(), "error": error}
        if status == "completed":
            self._operation["endpoints"] = self.endpoints()
        message = "Install completed" if status == "completed" else (error or {}).get("message", "Install failed")
        self.bus.emit(Event("operation", status, message, data=dict(self._operation)))

    def _install(self) -> None:
        existing = self.store.load()
        if existing is not None:
            raise AirliftError(f"An install already exists in {self.state_dir} (state: {existing.state})",
                               hint="run ./install --resume to continue it, or ./install uninstall to start over")
        self.bus.emit(Event("operation", "started", f"Installing {self.manifest.name} {self.manifest.version}"))
        self.verify_bundle()
        answers = self.resolved_answers()
        answers_mod.require_eula(answers, self.manifest)
        self._require_licence(answers)
        checked = checks.run(self._inputs(answers))
        self._check_results = checked.results
        inputs = self._inputs(answers, checked)  # the plan's /checks phase reuses what they found
        checks.execute(inputs)  # a failing check stops here, before any change
        if self.agents is not None:
            self.ssh.reach_all(self.agents, answers.nodes)
            self.agents.wait_for_nodes()
        plan = build_install_plan(self.node, self._joined())
        with self._locked():
            if self.store.exists():
                raise AirliftError(f"Another install started in {self.state_dir} meanwhile",
                                   hint="run ./install status to see it")
            answers_mod.save(answers, self.paths.answers)
            if self._licence is not None:
                site_licence.save(self.state_dir, self._licence[0])
            self.store.create(plan)
            self._run_plan(plan, inputs)

    def _require_licence(self, answers: answers_mod.Answers) -> None:
        """A bundle built with a licence key installs only with a licence it accepts for the flavor."""
        if self._licence is None:
            site_licence.require_for(self.bundle)
        else:
            self._check_licence(self._licence[:2], self.manifest.flavor(str(answers.flavor)))

    def _run_plan(self, plan: Plan, inputs: PhaseInputs) -> None:
        """Run the plan's phases, each on its node; once all are done, the agents may stop, and the
        agent port is handed over to the cluster controller that /cluster-service started."""
        run_plan(plan, self.store, inputs, self.bus, str(self.log_path))
        if self.agents is not None:
            self.agents.finish_all()
            self.agents.stop()

    def _resume(self, overrides: dict) -> None:
        plan = self.store.load()
        if plan is None:
            raise AirliftError(f"There is no install to resume in {self.state_dir}",
                               hint="start one with ./install --cli (or ./install for the wizard)")
        self.bus.emit(Event("operation", "started", f"Resuming the install of {self.manifest.name}"))
        if plan.state == "completed":
            self.bus.log_line("Every phase is already completed")
            return
        self.verify_bundle()
        self._answers = {**answers_mod.load_file(self.paths.answers), **overrides}
        answers = self.resolved_answers()
        # A crash inside /cluster-service may have left the cluster service running, holding the agent port.
        cluster_service.stop(self.services, CONTROLLER)
        self._listen_for_nodes(answers)
        inputs = self._inputs(answers)
        with self._locked():
            if overrides:
                answers_mod.save(answers, self.paths.answers)
            self._run_plan(self.store.load() or plan, inputs)

    # --- state directory -------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        return self.paths.installer_log

    def _attach_state(self) -> None:
        """Persist events and keep the internal log in the state directory from now on."""
        self.bus.attach_log(EventLog(self.paths.events))
        saved = self.paths.answers
        if saved.exists() and not self._answers:
            self._answers = answers_mod.load_file(saved)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        logger = logging.getLogger("installer")
        if not any(getattr(h, "baseFilename", None) == str(self.log_path) for h in logger.handlers):
            handler = logging.FileHandler(self.log_path)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            logger.addHandler(handler)
        logger.setLevel(logging.INFO)

    def _locked(self) -> StateLock:
        if self.bus.log is None:
            self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._attach_state()
        return StateLock(self.state_dir)

    def _with_state_dir(self, data: dict) -> dict:
        return {**data, "state-dir": str(self.state_dir)}

    def _inputs(self, answers: answers_mod.Answers, checked: checks.CheckRun | None = None) -> PhaseInputs:
        return PhaseInputs(bundle=self.bundle, manifest=self.manifest, answers=answers, host=self.host,
                           services=self.services, state_dir=self.state_dir, bus=self.bus, node=self.node,
                           agents=self.agents, checked=checked)
