"""The hub as a real process on loopback over HTTPS, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest
import requests

from installer.transfer.pins import pinned_session
from tests.fixtures.net import free_port

REPO = Path(__file__).resolve().parents[3]


@dataclass
class HubProcess:
    url: str
    fingerprint: str  # as the hub prints it for --hub-fingerprint: SHA256:<hex>
    token: str
    proc: subprocess.Popen[str]

    def session(self) -> requests.Session:
        """A session pinned to the hub's certificate, with the publish token."""
        session = pinned_session(self.url, self.fingerprint.removeprefix("SHA256:"))
        session.headers["Authorization"] = f"Bearer {self.token}"
        return session

    def stats(self) -> dict[str, int]:
        return dict(self.session().get(f"{self.url}/api/v1/stats", timeout=10).json())


def hub_command(*args: str, data: Path, database: str) -> list[str]:
    extra = ["--database", database] if not database.startswith("sqlite") else []
    return [sys.executable, "-m", "hub", *args, "--data", str(data), *extra]


def prepare_hub(data: Path, database: str) -> str:
    """Migrate the database and make a publish token; returns the token."""
    run = dict(cwd=REPO, capture_output=True, text=True, timeout=60, check=True)
    subprocess.run(hub_command("migrate", data=data, database=database), **run)  # type: ignore[call-overload]
    made = subprocess.run(hub_command("token", "create", "--scope", "publish", data=data,  # type: ignore[call-overload]
                                      database=database), **run)
    return str(made.stdout.strip().splitlines()[-1])


@contextmanager
def running_hub(data: Path, database: str, token: str, *extra: str, stderr: IO[str] | int = subprocess.DEVNULL
                ) -> Iterator[HubProcess]:
    """`python -m hub serve` on a free loopback port with `extra` options, its logs to `stderr`,
    stopped at the end; no panel ports unless `extra` names them (the 8 after a free port need not
    be free)."""
    port = free_port()
    panels = [] if "--panel-ports" in extra else ["--panel-ports", "none"]
    proc = subprocess.Popen(hub_command("serve", "--listen", f"127.0.0.1:{port}", *panels, *extra, data=data,
                                        database=database),
                            cwd=REPO, stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        fingerprint = _fingerprint(proc)
        hub = HubProcess(f"https://127.0.0.1:{port}", fingerprint, token, proc)
        _wait_ready(hub)
        yield hub
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture
def hub_process(hub_database_url: str, tmp_path: Path) -> Iterator[HubProcess]:
    data = tmp_path / "hub-data"
    with running_hub(data, hub_database_url, prepare_hub(data, hub_database_url)) as hub:
        yield hub


def _fingerprint(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    for line in proc.stdout:
        match = re.search(r"--hub-fingerprint (SHA256:[0-9a-f]{64})", line)
        if match:
            return match.group(1)
    raise AssertionError(f"the hub printed no fingerprint (exit {proc.wait(timeout=10)})")


def _wait_ready(hub: HubProcess) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if hub.session().get(f"{hub.url}/api/v1/ping", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("the hub did not answer within 20 s")
