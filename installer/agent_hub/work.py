"""Work for agents: what the plan asks a node to do, handed out when its agent polls.

The installer queues a task for a node and waits for its result; the node's agent takes it with
a long poll, runs it and posts the result. A task taken by an agent that then restarted is handed
out again when the agent joins anew (every task is safe to run twice).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field


@dataclass
class Work:
    node: str
    task: str
    args: dict
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    done: threading.Event = field(default_factory=threading.Event)
    result: dict | None = None

    def message(self) -> dict:
        """What the agent receives."""
        return {"id": self.id, "task": self.task, "args": self.args}


class WorkBoard:
    """Per node: the tasks waiting and the one its agent is running."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._waiting: dict[str, list[Work]] = {}
        self._running: dict[str, Work] = {}

    def submit(self, node: str, task: str, args: dict) -> Work:
        work = Work(node, task, args)
        with self._cond:
            self._waiting.setdefault(node, []).append(work)
            self._cond.notify_all()
        return work

    def take(self, node: str, timeout: float) -> Work | None:
        """The next task for `node`, waiting up to `timeout` seconds for one (a long poll)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._waiting.get(node), timeout):
                return None
            work = self._waiting[node].pop(0)
            self._running[node] = work
            return work

    def finish(self, node: str, work_id: str, result: dict) -> bool:
        """Record a result; False when no such task runs on that node (a late duplicate)."""
        with self._cond:
            work = self._running.get(node)
            if work is None or work.id != work_id:
                return False
            del self._running[node]
        work.result = result
        work.done.set()
        return True

    def hand_out_again(self, node: str) -> None:
        """The node's agent started over: the task it was running goes back to the front."""
        with self._cond:
            work = self._running.pop(node, None)
            if work is not None:
                self._waiting.setdefault(node, []).insert(0, work)
                self._cond.notify_all()

    def cancel(self, work: Work) -> None:
        with self._cond:
            queue = self._waiting.get(work.node, [])
            if work in queue:
                queue.remove(work)
            if self._running.get(work.node) is work:
                del self._running[work.node]
