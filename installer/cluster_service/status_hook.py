"""The application's status hook, run on a timer by the cluster service on the first master.

Gravity's manifest has `hooks.status`: a Job that says whether the application works. Each run
is that Job under a fresh name (a Job is immutable, and a fresh name keeps one run's pods and log
apart from the next's), through the runtime like every hook. Once a run has ended, the previous
run's Job is deleted, so they do not pile up while the last one stays for `kubectl describe`.

Runs never overlap: one thread runs them one after the other, the next `interval` after the
previous began, or as soon as it ended when it took longer; while paused, the first run follows
the operation's end within PAUSED_POLL_S. A run is bounded: one still going
after its interval (at least MIN_TIMEOUT_S) is stopped and counts as failed. An operation in
progress (an expand or remove here; an upgrade, rollback or uninstall holding the state
directory's lock) pauses the runs: it changes k3s under them, and its transitions are not the
application failing. Every result and pause is saved in the state directory
(installer/status/status_hook.py), where `./install status` reads it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from installer.errors import AirliftError
from installer.runtime.jobs import job_document
from installer.statedir import StateDir
from installer.status.status_hook import read_record, write_record

log = logging.getLogger("installer.cluster_service")

HOOK = "status"
MIN_TIMEOUT_S = 30.0
PAUSED_POLL_S = 5.0  # while paused, look this often whether the operation ended
TAIL = 20  # log lines kept of each run
NAME_MAX = 63  # a Job's name is a label value of its pods (job-name): 63 characters at most


class HookRuntime(Protocol):
    """The part of the runtime (installer/runtime/base.py) a status run uses."""

    def run_job(self, hook: str, job: dict, timeout: float, on_log: Callable[[str], None]) -> None: ...

    def kubectl(self, args: Sequence[str]) -> str: ...


class StatusHook:
    """Runs the manifest's status Job every `interval` seconds, unless `busy()` names why not now."""

    def __init__(self, job: dict, runtime: HookRuntime, state_dir: Path, interval: float,
                 busy: Callable[[], str | None], clock: Callable[[], float] = time.time) -> None:
        self.job, self.runtime, self.interval, self.busy, self.clock = job, runtime, float(interval), busy, clock
        self.paths = StateDir(state_dir)
        self.timeout = max(self.interval, MIN_TIMEOUT_S)
        self.namespace = str(job["metadata"].get("namespace", "default"))
        saved = read_record(self.paths.status_hook)
        self.record: dict = {"interval_s": self.interval, "since": self.clock(), "paused": None,
                             "last": saved.get("last") if saved else None}

    def serve(self, stop: threading.Event) -> None:
        """Run until `stop` is set, one run at a time."""
        write_record(self.paths.status_hook, self.record)
        while not stop.is_set():
            began, wait = time.monotonic(), self.interval
            try:
                if self.tick() is None:
                    wait = min(self.interval, PAUSED_POLL_S)
            except Exception:  # the next run may well succeed; the service keeps serving its API
                log.exception("the status hook could not be run")
            stop.wait(max(0.0, wait - (time.monotonic() - began)))

    def tick(self) -> dict | None:
        """One turn of the timer: a run and its result, or None when an operation pauses it."""
        why = self.busy()
        if why is not None:
            if self.record["paused"] is None:
                log.info("status hook paused: %s", why)
                self.record["paused"] = {"since": self.clock(), "why": why}
                write_record(self.paths.status_hook, self.record)
            return None
        return self.run()

    def run(self) -> dict:
        """Run the Job once under a fresh name, save its result, then delete the previous run's Job."""
        name = self._fresh_name()
        lines: deque[str] = deque(maxlen=TAIL)
        started, began = self.clock(), time.monotonic()
        ok, reason, code = True, None, None
        try:
            self.runtime.run_job(HOOK, _named(self.job, name), self.timeout, lines.append)
        except AirliftError as exc:
            ok = False
            if time.monotonic() - began >= self.timeout:
                reason = f"did not finish within {self.timeout:g} s (job {name} stopped)"
                self._delete(name)
            else:
                reason, code = exc.message, self._exit_code(name)
        duration = time.monotonic() - began
        previous = (self.record["last"] or {}).get("job")
        result = {"ok": ok, "job": name, "started": started, "finished": self.clock(),
                  "duration_s": round(duration, 3), "exit_code": code, "reason": reason, "log": list(lines)}
        self.record.update(last=result, paused=None)
        write_record(self.paths.status_hook, self.record)
        log.log(logging.INFO if ok else logging.WARNING, "status hook %s in %.1f s%s", "passed" if ok else "failed",
                duration, "" if ok else f": {reason}")
        if previous and previous != name:
            self._delete(previous)
        return result

    def _fresh_name(self) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(self.clock()))
        base = str(self.job["metadata"]["name"])[:NAME_MAX - len(stamp) - 1].rstrip("-")
        return f"{base}-{stamp}"

    def _delete(self, name: str) -> None:
        """Delete a run's Job with its pods, and its document; a failure is logged, not fatal (the
        next run tries the one it replaces again)."""
        try:
            self.runtime.kubectl(["delete", "job", name, "-n", self.namespace, "--ignore-not-found"])
        except AirliftError as exc:
            log.warning("could not delete status hook job %s: %s", name, exc.message)
            return
        job_document(self.paths.jobs, name).unlink(missing_ok=True)

    def _exit_code(self, name: str) -> int | None:
        """The exit code of the run's last failed attempt, when Kubernetes recorded one."""
        try:
            pods = json.loads(self.runtime.kubectl(["get", "pods", "-l", f"job-name={name}", "-n", self.namespace,
                                                    "-o", "json"])).get("items") or []
        except (AirliftError, ValueError):
            return None
        return last_exit_code(pods)


def last_exit_code(pods: list[dict]) -> int | None:
    """The non-zero exit code of the newest pod that has one."""
    newest = sorted(pods, key=lambda p: (p["metadata"].get("creationTimestamp") or "", p["metadata"]["name"]))
    for pod in reversed(newest):
        for container in (pod.get("status") or {}).get("containerStatuses") or []:
            code = ((container.get("state") or {}).get("terminated") or {}).get("exitCode")
            if code:
                return int(code)
    return None


def _named(job: dict, name: str) -> dict:
    return {**job, "metadata": {**job["metadata"], "name": name}}
