"""Running a hook Job to its end through kubectl, streaming its log lines as they appear.

A Job object is immutable, so a re-run (resume) deletes the previous one first: every run is fresh
and "safe to run twice" holds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from installer.errors import AirliftError
from installer.host import Host

Kubectl = Callable[[Sequence[str], bool], tuple[int, str]]
POLL_S = 1.0


def run_job(host: Host, kubectl: Kubectl, job: dict, job_dir: Path, timeout: float,
            on_log: Callable[[str], None]) -> None:
    """Apply `job`, stream its logs to `on_log`, return on success, raise AirliftError on failure."""
    name = job["metadata"]["name"]
    namespace = job["metadata"].get("namespace", "default")
    spec_file = job_dir / f"{name}.yaml"
    host.write_file(spec_file, yaml.safe_dump(job, sort_keys=False))
    kubectl(["delete", "job", name, "-n", namespace, "--ignore-not-found"], True)
    kubectl(["apply", "-n", namespace, "-f", str(spec_file)], True)
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        status = _status(kubectl, name, namespace)
        _stream(kubectl, name, namespace, seen, on_log)
        if status.get("succeeded"):
            return
        if status.get("failed"):
            raise AirliftError(
                f"Hook job {name} failed ({_reason(status)})",
                details="Last log lines:\n" + "\n".join(seen[-15:]) if seen else None,
                hint=f"Fix the cause (k3s kubectl -n {namespace} describe job {name})",
            )
        if time.monotonic() >= deadline:
            raise AirliftError(
                f"Hook job {name} did not finish within {timeout:.0f}s",
                details="\n".join(seen[-15:]) or None,
                hint=f"Check the job's pods (k3s kubectl -n {namespace} get pods) and fix the cause; to wait "
                     "longer, add --hook-timeout SECONDS",
            )
        time.sleep(POLL_S)


def _status(kubectl: Kubectl, name: str, namespace: str) -> dict:
    code, out = kubectl(["get", "job", name, "-n", namespace, "-o", "json"], False)
    return json.loads(out).get("status", {}) if code == 0 and out.strip() else {}


def _stream(kubectl: Kubectl, name: str, namespace: str, seen: list[str], on_log: Callable[[str], None]) -> None:
    """Pass on the log lines not passed on yet (kubectl logs prints the whole log each time)."""
    code, out = kubectl(["logs", f"job/{name}", "-n", namespace], False)
    if code != 0:
        return
    lines = out.splitlines()
    for line in lines[len(seen):]:
        on_log(line)
    seen.extend(lines[len(seen):])


def _reason(status: dict) -> str:
    for condition in status.get("conditions", []):
        if condition.get("type") == "Failed":
            return condition.get("reason") or condition.get("message") or "failed"
    return "failed"
