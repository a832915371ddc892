"""`./install join ADDR --token T`: the agent. Joins the installer, then runs the work it is given.

The agent long-polls the installer for work, runs each task (tasks.py) on this node and posts its
result; its events (log lines, progress, check results) travel to the installer's event log. A
dropped connection is retried with a growing pause; the agent joins again as the same node and
carries on with the task it was running. It stops when the installer says the install is over,
or when the installer has not answered for RECONNECT_FOR_S.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from installer.errors import AirliftError
from installer.events import Event, EventBus
from installer.host import Host
from installer.node_agent.client import AgentClient, ConnectionLost
from installer.node_agent.identity import hostname, identity, route_address, summary, versions
from installer.node_agent.stay import keep_in_contact
from installer.node_agent.tasks import TASKS, AgentContext
from installer.services import manager_for
from installer.services.names import AGENT as AGENT_SERVICE
from installer.tls import ensure_peer_certificate

log = logging.getLogger("installer.node_agent")

RECONNECT_FOR_S = 600.0
POLL_WAIT_S = 20.0
FLUSH_EVERY_S = 0.3


@dataclass(frozen=True)
class JoinRequest:
    """The join command's arguments."""

    installer: str
    port: int
    token: str
    fingerprint: str | None
    role: str | None
    advertise_addr: str | None
    state_dir: Path
    root: Path
    stay: bool = False  # the airlift-agent service: retry forever, never stop on `finish`


class EventForwarder:
    """An event sink that sends events to the installer in batches, keeping them while it is away."""

    def __init__(self, client: AgentClient, node: str) -> None:
        self.client, self.node = client, node
        self._pending: list[dict] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        threading.Thread(target=self._loop, name="airlift-agent-events", daemon=True).start()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self._pending.append(event.to_dict())

    def flush(self) -> bool:
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return True
        try:
            self.client.call("events", {"node": self.node, "events": batch})
            return True
        except (ConnectionLost, AirliftError):
            with self._lock:
                self._pending = batch + self._pending
            return False

    def _loop(self) -> None:
        while not self._stop.wait(FLUSH_EVERY_S):
            self.flush()


def run_agent(req: JoinRequest, say: Callable[[str], None]) -> int:
    """Join, then work until the installer says the install is over; the exit code."""
    host = Host(req.root)
    req.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    client = AgentClient(req.installer, req.port, req.token, req.fingerprint, req.state_dir)
    address = req.advertise_addr or route_address(req.installer)
    cert = ensure_peer_certificate(req.state_dir, address)  # the other nodes pin it: sent at join
    join: dict[str, object] = {"hostname": hostname(), "identity": identity(host, req.state_dir), "address": address,
            "role": req.role, "facts": summary(), "versions": versions(host, req.state_dir), "peer_fingerprint": cert.fingerprint}
    answer = _retry(lambda: client.call("join", {**join, "fresh": True}), say, req.stay)
    node, profile = answer["node"], answer["profile"]
    say(f"Joined the installer at {req.installer}:{req.port} as node {node} ({profile})")
    bus = EventBus()
    bus.add_secret(req.token)
    forwarder = EventForwarder(client, node)
    bus.add_sink(forwarder)
    ctx = AgentContext(host, manager_for(host, req.state_dir), req.state_dir, bus, node, address, req.token,
                       cert, client.fingerprint)
    try:
        while True:
            work = _retry(lambda: _poll(client, node, join, host, req.state_dir), say, req.stay).get("work")
            if work is None:
                continue
            if work["task"] == "finish":
                _post_result(client, node, work, {"ok": True}, say, req.stay)
                if not req.stay:
                    return _finished(req, ctx, client, work["args"], say)
                continue
            say(f"Running {work['task']} for the installer")
            outcome = _run_task(ctx, work)
            forwarder.flush()
            _post_result(client, node, work, outcome, say, req.stay)
            while ctx.after_answer:  # e.g. `leave`: uninstall once the installer has the answer
                ctx.after_answer.pop(0)()
            if ctx.restart:  # `installer`: the service starts the new kept installer in our place
                say("Stopping, so that the agent service starts the installer now kept on this node")
                return 0
    finally:
        forwarder.flush()
        if ctx.peer is not None:
            ctx.peer.stop()


def _poll(client: AgentClient, node: str, join: dict, host: Host, state_dir: Path) -> dict:
    """Wait for work, telling the installer which versions this node runs (a runtime task or an
    upgrade replaces them while the agent runs)."""
    try:
        return client.call("poll", {"node": node, "wait": POLL_WAIT_S, "versions": versions(host, state_dir)},
                           timeout=POLL_WAIT_S + 15)
    except AirliftError:
        client.call("join", {**join, "versions": versions(host, state_dir), "fresh": False})  # the installer restarted and forgot us
        return {"work": None}


def _finished(req: JoinRequest, ctx: AgentContext, client: AgentClient, args: dict,
              say: Callable[[str], None]) -> int:
    """The installer (or the cluster controller) is done with this node: an error it sends ends
    the join command with it; else the node keeps an agent service in contact with the cluster."""
    error = args.get("error")
    if error:
        raise AirliftError(error["message"], hint=error.get("hint"), details=error.get("details"))
    if keep_in_contact(ctx.host, ctx.services, req.state_dir, f"{req.installer}:{req.port}", req.token,
                       client.fingerprint, ctx.address):
        say(f"Service {AGENT_SERVICE} started: it keeps this node in contact with the cluster")
    say(args.get("summary") or "The install is over; this agent stops.")
    return 0


def _post_result(client: AgentClient, node: str, work: dict, outcome: dict, say: Callable[[str], None],
                 forever: bool = False) -> None:
    body = {"node": node, "id": work["id"], "result": outcome}
    _retry(lambda: client.call("result", {**body, "clock": time.time()}), say, forever)  # the clock as sent


def _run_task(ctx: AgentContext, work: dict) -> dict:
    task = TASKS.get(work["task"])
    if task is None:
        return {"ok": False, "error": {"message": f"this agent cannot run the task {work['task']!r}",
                                       "hint": "use the same bundle version on every node"}}
    try:
        return {"ok": True, "data": task(ctx, work["args"])}
    except AirliftError as exc:
        return {"ok": False, "error": {"message": exc.message, "hint": exc.hint, "details": exc.details}}
    except Exception as exc:
        log.exception("task %s failed", work["task"])
        return {"ok": False, "error": {"message": f"internal error in the agent: {exc}",
                                       "hint": "see the agent's output on that node"}}


def _retry(call: Callable[[], dict], say: Callable[[str], None], forever: bool = False) -> dict:
    """`call()` until the installer answers; AirliftError when it has not for RECONNECT_FOR_S
    (unless `forever`: the agent service waits for the first master however long it is away)."""
    started = time.monotonic()
    pause = 0.5
    while True:
        try:
            return call()
        except ConnectionLost as exc:
            if not forever and time.monotonic() - started > RECONNECT_FOR_S:
                raise AirliftError(f"The installer has not answered for {RECONNECT_FOR_S:.0f}s ({exc})",
                                   hint="check that ./install still runs there, then run the join command "
                                        "again") from exc
            say(f"No answer from the installer ({exc}); trying again in {pause:.0f}s")
            time.sleep(pause)
            pause = min(pause * 2, 10.0)
