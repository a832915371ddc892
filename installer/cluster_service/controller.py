"""The cluster controller: the `airlift-cluster` service on the first master, once installed.

It answers the agent API on the agent port with the install's certificate, join token and node
registry, so the persistent agents of the nodes reconnect to it, and a host running the join
command against the installed cluster is added to it (an expand operation). It also runs the
operations `./install remove` asks for (`operate`, `operation`) and relays `./install report` to each
node's agent (`collect`): those take the admin token, which never leaves this host, not the join
token every node holds. Operations run one at a time, each a
plan kept in `<state>/operations/<id>/` (operations.py). The application's status hook runs on a
timer beside them, paused while an operation runs (status_hook.py); and, once `./install hub
connect` linked the site, the check-ins with the vendor's hub (installer/hub_link/schedule.py).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

from installer import answers as answers_mod
from installer.agent_hub import token as token_mod
from installer.agent_hub.hub import AgentHub
from installer.agent_hub.server import ACTIONS
from installer.cluster_service.expand import expand_node
from installer.cluster_service.kept import kept_bundle
from installer.cluster_service.metrics import ClusterMetrics
from installer.cluster_service.operations import Operation, Operations
from installer.cluster_service.remove import check_removable, remove_node
from installer.cluster_service.status_hook import HOOK, StatusHook
from installer.errors import AirliftError
from installer.events import Event, EventBus
from installer.host import Host
from installer.hub_link.actions import check_in
from installer.hub_link.auto_download import fetch_announced
from installer.hub_link.schedule import CheckInLoop
from installer.manifest import load_manifest
from installer.phases.inputs import PhaseInputs, RunOptions
from installer.plan import PlanStore
from installer.runtime import K3sRuntime
from installer.services import manager_for
from installer.services.names import AGENT
from installer.site_licence import refuse_join
from installer.statedir import StateDir
from installer.statelock import lock_held
from installer.support.loop import SupportLoop

log = logging.getLogger("installer.cluster_service")

BIND_FOR_S = 120.0  # the installer hands the port over once its plan is done
ADMIN_ACTIONS = ("operate", "operation", "collect")
REPORT_TIMEOUT_S = 60.0
IN_CONTACT_S = 30.0  # an agent polls every 20 s: silent longer, it is away


class ClusterHub(AgentHub):
    """The agent API after the install: known nodes reconnect; a new node is admitted by the
    controller's rules (its profile may be expanded) instead of the flavor's counts."""

    actions = (*ACTIONS, *ADMIN_ACTIONS)
    admin_actions = ADMIN_ACTIONS

    def __init__(self, controller: Controller, bus: EventBus) -> None:
        flavor = controller.manifest.flavor(str(controller.answers.flavor))
        super().__init__(bus, flavor, controller.first, str(controller.answers.profile))
        self.controller = controller

    def listen(self, state_dir: Path, address: str, port: int) -> None:
        """Also make (or read) the admin token, which `./install remove` on this host presents."""
        self.admin_token = token_mod.load_or_create_admin(state_dir)
        self.bus.add_secret(self.admin_token)
        super().listen(state_dir, address, port)

    def handle(self, action: str, body: dict, client: str) -> dict:
        if action == "operate":
            return self.controller.operate(body)
        if action == "operation":
            return self.controller.operation(body)
        if action == "collect":
            return self.controller.collect(body)
        new = action == "join" and self.nodes.get(str(body["hostname"])) is None
        answer = super().handle(action, body, client)
        if action == "join":
            self.controller.joined(str(answer["node"]), new, bool(body.get("fresh")))
        return answer

    def _profile(self, role: str | None) -> str:
        return self.controller.profile_for(role)

    def metrics(self, authorization: str | None) -> bytes | None:
        return self.controller.metrics.render(authorization)


class Controller:
    """Everything the controller knows: the installed manifest and answers, its hub, operations."""

    def __init__(self, state_dir: Path, host: Host) -> None:
        self.state_dir, self.host = Path(state_dir), host
        self.services = manager_for(host, self.state_dir)
        install = PlanStore(self.state_dir).load()
        if install is None:
            raise AirliftError(f"Nothing is installed with the state directory {self.state_dir}",
                               hint="the cluster service runs once an install has completed")
        self.first = str(install.phases[0].node)
        paths = StateDir(self.state_dir)
        self.manifest = load_manifest(paths.app_manifest)
        self.answers = answers_mod.saved(paths.answers)
        self.bus = EventBus()
        self.bus.add_sink(self._relay)
        self.hub = ClusterHub(self, self.bus)
        self.operations = Operations(self.state_dir, [])
        self.stopping = threading.Event()  # ends the status hook's timer (the process ending does too)
        self.metrics = ClusterMetrics(host, self.services, self.state_dir)

    # --- serving ---------------------------------------------------------------------------

    def listen(self, bind_for: float = BIND_FOR_S) -> None:
        """Serve the agent API, retrying while the installer still holds the port."""
        deadline = time.monotonic() + bind_for
        while True:
            try:
                self.hub.listen(self.state_dir, str(self.answers.advertise_addr), self.answers.agent_port)
                break
            except AirliftError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)
        self.operations = Operations(self.state_dir, [self.hub.token, self.hub.admin_token])
        log.info("cluster service of %s listening on port %d", self.manifest.name, self.hub.port)
        self._resume_interrupted()
        self._start_status_hook()
        self._start_hub_check_ins()
        self._start_support()

    def _start_status_hook(self) -> None:
        """Run the manifest's status hook every status-interval seconds, if it has one."""
        job = self.manifest.hooks.get(HOOK)
        if job is None:
            return
        hook = StatusHook(job, K3sRuntime(self.host, self.services, self.state_dir), self.state_dir,
                          self.answers.status_interval, self._busy)
        threading.Thread(target=hook.serve, args=(self.stopping,), name="airlift-status-hook", daemon=True).start()

    def _start_hub_check_ins(self) -> None:
        """Check in with the vendor's hub every hub-interval seconds while the site is linked (the
        loop notices a link made or ended later)."""
        loop = CheckInLoop(self.state_dir, self.answers.hub_interval, self._check_in)
        threading.Thread(target=loop.serve, args=(self.stopping,), name="airlift-hub-check-in", daemon=True).start()

    def _check_in(self) -> None:
        """One check-in; then, when the site opted in (hub-auto-download), the download of the
        update it named, in this same thread (never an upgrade)."""
        interval = self.answers.hub_interval
        answer = check_in(self.state_dir, self.host, self.services, interval)
        if self.answers.hub_auto_download:
            fetch_announced(self.state_dir, interval, answer, self._say)

    def _say(self, status: str, message: str) -> None:
        self.bus.emit(Event("log", status, message))

    def _start_support(self) -> None:
        """Keep the remote-support tunnel up while `./install support open` granted one."""
        loop = SupportLoop(self.state_dir)
        threading.Thread(target=loop.serve, args=(self.stopping,), name="airlift-support", daemon=True).start()

    def _busy(self) -> str | None:
        """Why the status hook waits now: an operation changes the cluster, or None."""
        running = self.operations.in_progress()
        if running is not None:
            return f"operation {running} is in progress"
        if lock_held(self.state_dir):
            return "an ./install command (the install ending, an upgrade, rollback or uninstall) holds the state directory"
        return None

    def _resume_interrupted(self) -> None:
        """Carry on with the adding of a node that a stop of this service cut short (its agent
        reconnects meanwhile); a failed one waits for the join command to run again."""
        for op in self.operations.all():
            plan = op.store.load()
            if op.kind == "expand" and (plan is None or plan.state not in ("completed", "failed")):
                log.info("resuming operation %s", op.id)
                self.operations.resume(op, self._expand)

    def _relay(self, event: Event) -> None:
        """Node events go to the service's log (but progress ticks) and, during an operation,
        into its events."""
        if event.kind != "progress":
            log.info("%s", event.message)
        bus = self.operations.bus
        if bus is not None:
            bus.emit(replace(event, seq=0))

    # --- nodes joining ---------------------------------------------------------------------

    def profile_for(self, role: str | None) -> str:
        """The profile a new node takes: the one it asks for, if nodes of it may be added and the
        site's licence allows one more node (checked offline, installer/site_licence.py)."""
        install = PlanStore(self.state_dir).load()  # read again: /cluster ends after this service starts
        if install is None or install.state != "completed":
            raise AirliftError("The install is not complete, so no node can join the cluster yet",
                               hint="finish it first (./install --resume on the first master)")
        open_ = [p.name for p in self.manifest.profiles.values() if p.expandable]
        choices = f"--role one of: {', '.join(open_)}" if open_ else "no profile of it can be added"
        if role is None:
            raise AirliftError(f"Joining the installed {self.manifest.name} cluster needs a node profile",
                               hint=f"run the join command with {choices}")
        profile = self.manifest.profiles.get(role)
        if profile is None:
            raise AirliftError(f'"{role}" is not a node profile of {self.manifest.name}',
                               hint=f"run the join command with {choices}")
        if not profile.expandable:
            raise AirliftError(f'Node profile "{role}" of {self.manifest.name} has expandPolicy: fixed, so no '
                               "node of it joins after the install",
                               hint=f"run the join command with {choices}")
        # the first master, the nodes that joined, and this one, against the licence's max_nodes
        refuse_join(self.state_dir, self.manifest.name, len(self.hub.nodes.nodes()) + 2)
        return role

    def joined(self, node: str, new: bool, fresh: bool) -> None:
        """A new node is added; a node whose adding stopped part way carries on when its agent
        starts again."""
        if new:
            self.operations.begin("expand", node, self._expand, wait=True)
            return
        last = self.operations.last_for("expand", node)
        if fresh and last is not None and self.operations.state(last)[0] == "failed":
            self.operations.resume(last, self._expand)

    def _expand(self, op: Operation, bus: EventBus) -> None:
        try:
            expand_node(self._inputs(bus), op.node, op.store, str(op.events.path))
        except AirliftError as exc:
            self._expand_failed(op, exc)
        self.hub.finish_all(names=[op.node], summary=f"Node {op.node} is now part of the cluster and Ready. "
                            "Next: ./install status on the first master lists it.")

    def _expand_failed(self, op: Operation, exc: AirliftError) -> None:
        """Tell the node why it was not added; a node nothing was sent to yet (it failed its own
        checks or those across nodes) is forgotten, any other resumes when it joins again."""
        failure = AirliftError(f"Node {op.node} was not added to the cluster: {exc.message}",
                               hint="fix the cause above, then run the join command on that node again",
                               details=exc.details)
        error = {"message": failure.message, "hint": failure.hint, "details": failure.details}
        self.hub.finish_all(names=[op.node], error=error)  # first: a forgotten node's agent would join anew
        plan = op.store.load()
        if plan is None or plan.phase(f"/distribute/{op.node}").state == "unstarted":
            self.hub.nodes.remove(op.node)
        raise failure from exc

    # --- operations ------------------------------------------------------------------------

    def operate(self, body: dict) -> dict:
        """Start an operation `./install remove` asked for; its id."""
        kind, node, force = str(body.get("operation")), str(body["node"]), bool(body.get("force"))
        if kind != "remove":
            raise AirliftError(f"The cluster service runs no operation {kind!r}", hint="operations: remove")
        last = self.operations.last_for("remove", node)
        if last is not None and self.operations.state(last)[0] == "failed":
            # Carry on from the phase that failed: the node may be gone from nodes.json or its
            # agent stopped already, so starting over would refuse it or fail at /leave.
            self.operations.resume(last, partial(self._remove, force))
            return {"id": last.id}
        check_removable(self.hub, node, self.first)  # refused here, so ./install remove prints why
        op = self.operations.begin("remove", node, partial(self._remove, force))
        return {"id": op.id}

    def _remove(self, force: bool, op: Operation, bus: EventBus) -> None:
        remove_node(self._inputs(bus, RunOptions(force=force)), op.node, op.store)

    def operation(self, body: dict) -> dict:
        """An operation's state and its events after `since` (the state first, so a finished
        operation's last events are all there)."""
        op = self.operations.get(str(body["id"]))
        state, error = self.operations.state(op)
        events = op.events.read(int(body.get("since") or 0))
        return {"events": [e.to_dict() for e in events], "state": state, "error": error}

    def collect(self, body: dict) -> dict:
        """A node's part of the support report (`./install report`), from its agent within the
        timeout asked; AirliftError naming the node when it is unknown, away or too slow."""
        node, timeout = str(body["node"]), float(body.get("timeout") or REPORT_TIMEOUT_S)
        known = self.hub.nodes.get(node)
        if known is None:
            raise AirliftError(f"Node {node} is not part of the cluster")
        silent = time.time() - known.last_seen
        if silent > IN_CONTACT_S:
            raise AirliftError(f"Node {node}: its agent has not been in contact for {silent:.0f}s",
                               hint=f"check that {node} is up and its {AGENT} service runs")
        return self.hub.run(node, "report", {"profile": known.profile, "redact": self.manifest.report_redact}, timeout)

    def _inputs(self, bus: EventBus, options: RunOptions | None = None) -> PhaseInputs:
        """The inputs of one operation's run, with what the operator asked of it (`--force`)."""
        return PhaseInputs(bundle=kept_bundle(self.state_dir), manifest=self.manifest, answers=self.answers,
                           host=self.host, services=self.services, state_dir=self.state_dir, bus=bus,
                           node=self.first, agents=self.hub, options=options or RunOptions())
