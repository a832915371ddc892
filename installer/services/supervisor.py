"""Airlift's own service supervisor, for hosts where systemd is not PID 1.

One supervisor process per service: it detaches from the installer (double fork + setsid), so the
service outlives the installer; runs the service with its output appended to the service log;
restarts it when it exits, with exponential backoff (reset once a run lasted long enough); and stops
it on SIGTERM. Reachable from source as `python -m installer.services.supervisor NAME --root R` and
from the frozen installer as the hidden subcommand `install _supervise NAME --root R`, both of
which call `main(argv)`.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from installer.host import Host
from installer.services.supervised import ServiceFiles, pid_record

BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
HEALTHY_RUN_S = 10.0
LOG_KEEP_BYTES = 10 << 20
STOP_GRACE_S = 10.0


class Supervisor:
    """Runs one service until told to stop, restarting it on exit."""

    def __init__(self, files: ServiceFiles) -> None:
        self.files = files
        self.stopping = False
        self.child: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def request_stop(self, signum: int, _frame: object) -> None:
        self.stopping = True
        if self.child and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)

    def run(self) -> int:
        failures = 0
        while not self.stopping:
            spec = json.loads(self.files.spec.read_text())
            began = time.monotonic()
            code = self._run_once(spec)
            if self.stopping or not spec.get("restart", True):
                return 0
            failures = 0 if time.monotonic() - began >= HEALTHY_RUN_S else failures + 1
            delay = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** max(failures - 1, 0))
            self._log(f"exited with code {code}; restarting in {delay:.1f}s")
            self.restarts += 1
            self._pause(delay)
        return 0

    def _run_once(self, spec: dict) -> int:
        env = service_env(dict(os.environ), spec.get("env", {}))
        rotate_log(self.files.log)
        with open(self.files.log, "ab") as log:
            try:
                self.child = subprocess.Popen(spec["argv"], stdin=subprocess.DEVNULL, stdout=log,
                                              stderr=subprocess.STDOUT, env=env, close_fds=True)
            except OSError as exc:
                self._log(f"cannot start {spec['argv'][0]}: {exc.strerror}")
                self._status("cannot-start", 127)
                return 127
        Host().write_file(self.files.child_pid, pid_record(self.child.pid))
        self._status("running", None)
        self._log(f"started pid {self.child.pid}")
        code = self._wait_child()
        self.files.child_pid.unlink(missing_ok=True)
        self._status("stopped" if self.stopping else "exited", code)
        return code

    def _wait_child(self) -> int:
        assert self.child is not None
        while True:
            try:
                return self.child.wait(timeout=STOP_GRACE_S if self.stopping else None)
            except subprocess.TimeoutExpired:
                self.child.kill()

    def _pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(0.1)

    def _status(self, state: str, code: int | None) -> None:
        status = {"state": state, "pid": self.child.pid if self.child else None, "exit_code": code,
                  "restarts": self.restarts, "time": time.time()}
        Host().write_file(self.files.status, json.dumps(status) + "\n")

    def _log(self, message: str) -> None:
        with open(self.files.log, "a") as log:
            log.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} airlift-supervise: {message}\n")


def rotate_log(log: Path) -> None:
    """Keep the log bounded: past LOG_KEEP_BYTES it becomes `<log>.1` (one old log kept)."""
    try:
        if log.stat().st_size > LOG_KEEP_BYTES:
            os.replace(log, log.with_name(log.name + ".1"))
    except FileNotFoundError:
        pass


def service_env(inherited: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    """The service's environment: the supervisor's, minus what only the installer needed.

    PYTHONPATH points at Airlift's source; a frozen installer sets LD_LIBRARY_PATH to its own
    libraries (keeping the original in LD_LIBRARY_PATH_ORIG), which must not leak into services.
    """
    env = {k: v for k, v in inherited.items() if k not in ("PYTHONPATH", "LD_LIBRARY_PATH_ORIG")}
    if "LD_LIBRARY_PATH_ORIG" in inherited:
        env["LD_LIBRARY_PATH"] = inherited["LD_LIBRARY_PATH_ORIG"]
    elif getattr(sys, "frozen", False):
        env.pop("LD_LIBRARY_PATH", None)
    return {**env, **extra}


def _detach() -> None:
    """Second fork: the launcher's child exits at once, the grandchild is adopted by init."""
    if os.fork() > 0:
        os._exit(0)


def main(argv: list[str] | None = None) -> int:
    """Entry point: `NAME --root ROOT [--detach]`. Exits 0 at once if NAME is already supervised."""
    parser = argparse.ArgumentParser(prog="airlift-supervise")
    parser.add_argument("name")
    parser.add_argument("--root", default="/")
    parser.add_argument("--detach", action="store_true")
    args = parser.parse_args(argv)
    files = ServiceFiles.of(Host(Path(args.root)), args.name)
    if args.detach:
        _detach()
    files.run_dir.mkdir(parents=True, exist_ok=True)
    lock = open(files.run_dir / "supervisor.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0
    Host().write_file(files.supervisor_pid, pid_record(os.getpid()))
    supervisor = Supervisor(files)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    try:
        return supervisor.run()
    finally:
        files.supervisor_pid.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
