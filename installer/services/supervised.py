"""Services run by Airlift's own supervisor, for hosts without systemd (containers, test roots).

Each service has a spec (argv, env, restart) in `<root>/etc/airlift/services/<name>.json`, so it
survives reboots of the installer; run-time files (supervisor.pid, child.pid, status.json) live in
`<root>/run/airlift/services/<name>/`; output goes to `<root>/var/log/airlift/<name>.log`.
Starting launches a detached supervisor process (installer.services.supervisor) that runs the
service and restarts it on crash with backoff.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from installer.errors import AirliftError
from installer.host import Host
from installer.installer_copy import kept_launcher

STOP_TIMEOUT_S = 15.0
START_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ServiceFiles:
    """Where one supervised service keeps its spec, run-time files and log."""

    spec: Path
    run_dir: Path
    log: Path

    @classmethod
    def of(cls, host: Host, name: str) -> ServiceFiles:
        return cls(
            spec=host.path(f"/etc/airlift/services/{name}.json"),
            run_dir=host.path(f"/run/airlift/services/{name}"),
            log=host.path(f"/var/log/airlift/{name}.log"),
        )

    @property
    def supervisor_pid(self) -> Path:
        return self.run_dir / "supervisor.pid"

    @property
    def child_pid(self) -> Path:
        return self.run_dir / "child.pid"

    @property
    def status(self) -> Path:
        return self.run_dir / "status.json"


def pid_record(pid: int) -> str:
    """What a pid file holds: the pid and the process's start time, so a reused pid never counts."""
    return f"{pid} {_start_time(pid)}\n"


def read_pid(path: Path) -> int | None:
    """The live process recorded in `path`, or None when absent, dead, or a different process."""
    try:
        fields = path.read_text().split()
        pid = int(fields[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    if _is_zombie(pid) or (len(fields) > 1 and fields[1] != _start_time(pid)):
        return None
    return pid


def _start_time(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def supervisor_command(name: str, root: Path, installer: Path | None = None) -> list[str]:
    """How to launch the supervisor: the kept installer's (or the frozen installer's) hidden
    subcommand, or the module when running from the sources."""
    tail = [name, "--root", str(root), "--detach"]
    if installer is not None:
        return [str(installer), "_supervise", *tail]
    if getattr(sys, "frozen", False):
        return [sys.executable, "_supervise", *tail]
    return [sys.executable, "-m", "installer.services.supervisor", *tail]


class SupervisedServices:
    """ServiceManager backed by Airlift's supervisor process.

    The supervisor outlives the installer, so it is launched by the installer kept in
    `state_dir` as soon as bootstrap made that copy (the bundle folder may be deleted later);
    before that, and without a state directory, by this running installer.
    """

    def __init__(self, host: Host, state_dir: Path | None = None) -> None:
        self.host = host
        self.state_dir = state_dir

    @property
    def launcher(self) -> Path | None:
        """The kept installer that launches the supervisor, or None for this running installer."""
        return kept_launcher(self.state_dir) if self.state_dir is not None else None

    def install(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None,
                restart: bool = True) -> None:
        """Record the service; a running one picks the change up at its next start."""
        files = ServiceFiles.of(self.host, name)
        spec = {"name": name, "argv": [str(a) for a in argv], "env": dict(env or {}), "restart": restart}
        # env may carry secrets: the spec is readable by root only.
        self.host.write_file(files.spec, json.dumps(spec, indent=2) + "\n", mode=0o600)

    def start(self, name: str) -> None:
        """Start the supervisor (detached: it survives the installer); no-op when running."""
        files = ServiceFiles.of(self.host, name)
        if not files.spec.is_file():
            raise AirliftError(f"Service {name} is not installed", hint="Run the install phase that sets it up.")
        if read_pid(files.supervisor_pid):
            return
        self._end_orphan(files)
        files.run_dir.mkdir(parents=True, exist_ok=True)
        files.log.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        if not getattr(sys, "frozen", False):
            env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
        files.status.unlink(missing_ok=True)
        with open(files.log, "ab") as log:
            launcher = subprocess.Popen(
                supervisor_command(name, self.host.root, self.launcher), stdin=subprocess.DEVNULL,
                stdout=log, stderr=log, env=env, start_new_session=True, close_fds=True)
        launcher.wait(timeout=START_TIMEOUT_S)
        state = self._first_state(files)
        if state != "running" and state != "exited":
            self.stop(name)
            raise AirliftError(f"Service {name} could not start its program", details=_tail(files.log),
                               hint=f"Read its log {files.log}; check the program exists and is executable.")

    def _first_state(self, files: ServiceFiles) -> str | None:
        """The state the supervisor reports after its first launch (None if it never reports)."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                state: str = json.loads(files.status.read_text())["state"]
                return state
            except (OSError, ValueError, KeyError):
                time.sleep(0.05)
        return None

    def stop(self, name: str) -> None:
        """Stop the supervisor and its service (SIGTERM, then SIGKILL after a grace period)."""
        files = ServiceFiles.of(self.host, name)
        pid = read_pid(files.supervisor_pid)
        if pid:
            began = _start_time(pid)
            os.kill(pid, signal.SIGTERM)
            # Until the process is gone, not just its pid file: the supervisor removes that file
            # before its interpreter ends, and "stopped" must mean no process of the service is left.
            if not _wait_exited(pid, began, STOP_TIMEOUT_S):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                _wait_exited(pid, began, STOP_TIMEOUT_S)
        self._end_orphan(files)
        for path in (files.supervisor_pid, files.child_pid):
            path.unlink(missing_ok=True)

    def _end_orphan(self, files: ServiceFiles) -> None:
        """Kill a service process whose supervisor is gone (killed), so a new one can take over."""
        child = read_pid(files.child_pid)
        if child:
            os.kill(child, signal.SIGKILL)
            _wait_gone(files.child_pid, STOP_TIMEOUT_S)

    def is_running(self, name: str) -> bool:
        """True when the supervisor and the service process are both alive."""
        files = ServiceFiles.of(self.host, name)
        return (read_pid(files.supervisor_pid) is not None
                and read_pid(files.child_pid) is not None)

    def remove(self, name: str) -> None:
        """Stop the service and delete its spec, run-time files and log (idempotent)."""
        self.stop(name)
        files = ServiceFiles.of(self.host, name)
        for path in (files.spec, files.run_dir, files.log, files.log.with_name(files.log.name + ".1")):
            self.host.remove(path)
            self.host.prune_empty_parents(path)

    def log_tail(self, name: str, lines: int = 15) -> str:
        return _tail(ServiceFiles.of(self.host, name).log, lines)

    def log_where(self, name: str) -> str:
        return str(ServiceFiles.of(self.host, name).log)


def _wait_exited(pid: int, began: str, timeout: float) -> bool:
    """Wait for the process that started at `began` to end (a zombie counts as ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = _start_time(pid)
        if now == "?" or now != began or _is_zombie(pid):
            return True
        time.sleep(0.05)
    return False


def _wait_gone(pid_file: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if read_pid(pid_file) is None:
            return True
        time.sleep(0.05)
    return False


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
