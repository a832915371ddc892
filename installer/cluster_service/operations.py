"""Day-2 operations: each a Plan in its own folder `<state>/operations/<id>/` (plan.json,
plan-log.jsonl, events.jsonl, operation.json), run in a thread of the controller, one at a time.

What `./install remove` polls (`operation`) is read from that folder, so it survives a restart of
the controller: an operation the controller was running when it stopped reads as failed, and is
resumed by running it again (`Operations.resume`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from installer.errors import AirliftError
from installer.events import EventBus, EventLog
from installer.plan import PlanStore
from installer.services.names import CONTROLLER
from installer.statedir import OperationFolder, StateDir

log = logging.getLogger("installer.cluster_service")


@dataclass
class Operation:
    """One operation (`kind` "expand" or "remove" of `node`) and where it is kept."""

    id: str
    kind: str
    node: str
    folder: Path
    created: float = field(default_factory=time.time)

    @property
    def store(self) -> PlanStore:
        return PlanStore(self.folder)

    @property
    def events(self) -> EventLog:
        return EventLog(OperationFolder(self.folder).events)


Work = Callable[[Operation, EventBus], None]


class Operations:
    """The operations of one install, and the one running now."""

    def __init__(self, state_dir: Path, secrets: list[str]) -> None:
        self._paths = StateDir(state_dir)
        self.root = self._paths.operations
        self._secrets = secrets
        self._lock = threading.Lock()
        self._running: Operation | None = None
        self._bus: EventBus | None = None
        self._errors: dict[str, dict] = {}
        self._queued: set[str] = set()  # begun and not ended: running or waiting their turn
        self._queue_lock = threading.Lock()

    @property
    def bus(self) -> EventBus | None:
        """The running operation's event bus (the controller relays agents' events into it)."""
        return self._bus

    def in_progress(self) -> str | None:
        """The id of an operation begun and not ended (running or waiting its turn), or None."""
        with self._queue_lock:
            return next(iter(sorted(self._queued)), None)

    def begin(self, kind: str, node: str, work: Work, wait: bool = False) -> Operation:
        """A new operation running `work` in a thread; AirliftError when another one runs and
        `wait` is False (else it waits its turn)."""
        if not wait:
            self._acquire_now()
        op_id = f"{kind}-{node}-{uuid.uuid4().hex[:8]}"
        op = Operation(op_id, kind, node, self._paths.operation(op_id).root)
        op.folder.mkdir(parents=True, mode=0o700)
        OperationFolder(op.folder).meta.write_text(json.dumps({"id": op.id, "kind": kind, "node": node,
                                                               "created": op.created}))
        self._launch(op, work, wait)
        return op

    def resume(self, op: Operation, work: Work) -> None:
        """Run a stopped operation again, once any running one has ended; its plan carries on."""
        self._errors.pop(op.id, None)
        self._launch(op, work, wait=True)

    def get(self, op_id: str) -> Operation:
        meta = self._paths.operation(Path(op_id).name).meta
        if not meta.is_file():
            raise AirliftError(f"There is no operation {op_id} in {self.root}",
                               hint="./install status lists the operations")
        d = json.loads(meta.read_text())
        return Operation(d["id"], d["kind"], d["node"], meta.parent, d["created"])

    def all(self) -> list[Operation]:
        if not self.root.is_dir():
            return []
        return sorted((self.get(p.name) for p in self.root.iterdir() if OperationFolder(p).meta.is_file()),
                      key=lambda op: op.created)

    def last_for(self, kind: str, node: str) -> Operation | None:
        found = [op for op in self.all() if op.kind == kind and op.node == node]
        return found[-1] if found else None

    def _acquire_now(self) -> None:
        if not self._lock.acquire(blocking=False):
            running = self._running
            raise AirliftError(f"Another operation is running: {running.id if running else 'one'}",
                               hint="wait for it to end (./install status), then try again")

    def _launch(self, op: Operation, work: Work, wait: bool) -> None:
        with self._queue_lock:
            self._queued.add(op.id)
        threading.Thread(target=self._run, args=(op, work, wait), name=f"airlift-{op.id}", daemon=True).start()

    def state(self, op: Operation) -> tuple[str, dict | None]:
        """("running" | "completed" | "failed", the error when failed)."""
        if op.id in self._queued:
            return "running", None
        plan = op.store.load()
        if plan is not None and plan.state == "completed":
            return "completed", None
        if op.id in self._errors:
            return "failed", self._errors[op.id]
        failed = [p.error for p in plan.phases if p.error] if plan else []
        return "failed", failed[0] if failed else {
            "message": f"The {op.kind} of node {op.node} stopped before it ended (the cluster service restarted)",
            "hint": "run the join command on that node again to resume it" if op.kind == "expand"
            else f"run ./install remove {op.node} again", "details": None}

    def _run(self, op: Operation, work: Work, acquire: bool) -> None:
        if acquire:
            self._lock.acquire()
        self._running = op
        bus = EventBus()
        for secret in self._secrets:
            bus.add_secret(secret)
        bus.attach_log(op.events)
        self._bus = bus
        try:
            work(op, bus)
        except AirliftError as exc:
            self._errors[op.id] = {"message": exc.message, "hint": exc.hint, "details": exc.details}
        except Exception as exc:
            log.exception("operation %s failed", op.id)
            self._errors[op.id] = {"message": f"internal error: {exc}", "hint": None,
                                   "details": f"See the log of the {CONTROLLER} service"}
        finally:
            self._bus = None
            self._running = None
            with self._queue_lock:
                self._queued.discard(op.id)
            self._lock.release()
