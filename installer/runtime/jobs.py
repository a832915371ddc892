"""Running a hook Job to its end through kubectl, streaming each attempt's log lines as they appear.

Kubernetes retries a Job whose pod fails, each time in a new pod, up to `spec.backoffLimit` times
(6 when unset): a failed pod is not a failed Job. The Job has failed only once its limit is spent
(`status.failed` above it) or when Kubernetes sets its `Failed` condition (the limit, or
`activeDeadlineSeconds`, ran out); until then it is waited for, and every attempt's log is passed on.

A Job object is immutable, so a re-run (resume) deletes the previous one first, with its pods
(foreground cascade), so no old attempt's log is taken for the new one's: every run is fresh and
"safe to run twice" holds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from installer.errors import AirliftError
from installer.host import Host

Kubectl = Callable[[Sequence[str], bool], tuple[int, str]]
POLL_S = 1.0
DEFAULT_BACKOFF_LIMIT = 6  # Kubernetes' default for spec.backoffLimit
TAIL = 15


@dataclass
class _Attempts:
    """What was passed on so far: each pod's log lines, in the order the pods were created, and the
    failed pods already told about."""

    lines: dict[str, list[str]] = field(default_factory=dict)
    told: set[str] = field(default_factory=set)

    def last(self) -> tuple[str, list[str]]:
        pod = next(reversed(self.lines), "")
        return pod, self.lines.get(pod, [])


@dataclass(frozen=True)
class _Job:
    hook: str
    name: str
    namespace: str
    backoff_limit: int


def run_job(host: Host, kubectl: Kubectl, hook: str, job: dict, job_dir: Path, timeout: float,
            on_log: Callable[[str], None]) -> None:
    """Apply the Job of `hook`, stream each attempt's log to `on_log`, return once it succeeded;
    AirliftError naming the hook and the job once Kubernetes gave up on it, or after `timeout`."""
    meta = job["metadata"]
    spec = _Job(hook, meta["name"], meta.get("namespace", "default"),
                int((job.get("spec") or {}).get("backoffLimit", DEFAULT_BACKOFF_LIMIT)))
    spec_file = job_document(job_dir, spec.name)
    host.write_file(spec_file, yaml.safe_dump(job, sort_keys=False))
    kubectl(["delete", "job", spec.name, "-n", spec.namespace, "--ignore-not-found", "--cascade=foreground"], True)
    kubectl(["apply", "-n", spec.namespace, "-f", str(spec_file)], True)
    attempts = _Attempts()
    deadline = time.monotonic() + timeout
    while True:
        current = _get(kubectl, ["job", spec.name], spec.namespace)
        status = current.get("status") or {}
        _stream(kubectl, spec, (current.get("metadata") or {}).get("uid"), attempts, on_log)
        if status.get("succeeded"):
            return
        reason = failure(status, spec.backoff_limit)
        if reason:
            raise _failed(spec, reason, max(int(status.get("failed") or 0), len(attempts.told)), attempts)
        if time.monotonic() >= deadline:
            raise _timed_out(spec, timeout, attempts)
        time.sleep(POLL_S)


def job_document(job_dir: Path, name: str) -> Path:
    """Where the Job `name` is written before kubectl applies it."""
    return job_dir / f"{name}.yaml"


def failure(status: dict, backoff_limit: int) -> str | None:
    """Why Kubernetes gave up on the Job with this status, or None while it still runs or retries."""
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Failed" and condition.get("status") == "True":
            return condition.get("reason") or condition.get("message") or "Failed"
    if int(status.get("failed") or 0) > backoff_limit:
        return "BackoffLimitExceeded"
    return None


def _get(kubectl: Kubectl, what: Sequence[str], namespace: str) -> dict:
    code, out = kubectl(["get", *what, "-n", namespace, "-o", "json"], False)
    try:
        return json.loads(out) if code == 0 and out.strip() else {}
    except ValueError:
        return {}


def _pods(kubectl: Kubectl, spec: _Job, uid: str | None) -> list[dict]:
    """The Job's pods, oldest first (only this Job's own when its uid is known)."""
    items = _get(kubectl, ["pods", "-l", f"job-name={spec.name}"], spec.namespace).get("items") or []
    if uid:
        items = [p for p in items if any(o.get("uid") == uid for o in p["metadata"].get("ownerReferences") or [])]
    return sorted(items, key=lambda p: (p["metadata"].get("creationTimestamp") or "", p["metadata"]["name"]))


def _stream(kubectl: Kubectl, spec: _Job, uid: str | None, attempts: _Attempts,
            on_log: Callable[[str], None]) -> None:
    """Pass on each pod's log lines not passed on yet (kubectl logs prints the whole log each time),
    and say once when a pod failed, as the Job retries it in a new one."""
    for number, pod in enumerate(_pods(kubectl, spec, uid), start=1):
        name = pod["metadata"]["name"]
        seen = attempts.lines.setdefault(name, [])
        code, out = kubectl(["logs", name, "-n", spec.namespace], False)
        if code == 0:
            lines = out.splitlines()
            for line in lines[len(seen):]:
                on_log(line)
            seen.extend(lines[len(seen):])
        if (pod.get("status") or {}).get("phase") == "Failed" and name not in attempts.told:
            attempts.told.add(name)
            on_log(f"Attempt {number} of {spec.backoff_limit + 1} (pod {name}) failed{_exit_codes(pod)}")


def _exit_codes(pod: dict) -> str:
    codes = [str(s["state"]["terminated"]["exitCode"]) for s in (pod.get("status") or {}).get("containerStatuses") or []
             if (s.get("state") or {}).get("terminated", {}).get("exitCode")]
    return f" (exit code {', '.join(codes)})" if codes else ""


def _failed(spec: _Job, reason: str, tries: int, attempts: _Attempts) -> AirliftError:
    pod, lines = attempts.last()
    return AirliftError(
        f"The {spec.hook} hook failed: Kubernetes gave up on job {spec.name} after {tries} failed "
        f"attempt{'s' if tries != 1 else ''} ({reason}; backoffLimit {spec.backoff_limit})",
        details=f"Last log lines of pod {pod}:\n" + "\n".join(lines[-TAIL:]) if lines else None,
        hint=f"Fix the cause (k3s kubectl -n {spec.namespace} describe job {spec.name})",
    )


def _timed_out(spec: _Job, timeout: float, attempts: _Attempts) -> AirliftError:
    pod, lines = attempts.last()
    return AirliftError(
        f"The {spec.hook} hook did not finish: job {spec.name} still runs after {timeout:.0f}s "
        f"({len(attempts.told)} failed attempt{'s' if len(attempts.told) != 1 else ''} so far)",
        details=f"Last log lines of pod {pod}:\n" + "\n".join(lines[-TAIL:]) if lines else None,
        hint=f"Check the job's pods (k3s kubectl -n {spec.namespace} get pods -l job-name={spec.name}) and fix "
             "the cause; to wait longer, add --hook-timeout SECONDS",
    )
