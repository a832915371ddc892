"""Airlift's own supervisor: real detached processes under a temp root."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from installer.errors import AirliftError
from installer.host import Host
from installer.services import manager_for
from installer.services.supervised import ServiceFiles, read_pid
from tests.fixtures.net import wait_until

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


@pytest.fixture
def host(tmp_path):
    return Host(tmp_path / "root")


@pytest.fixture
def services(host):
    services = manager_for(host)
    yield services
    for spec in host.path("/etc/airlift/services").glob("*.json"):
        services.remove(spec.stem)


def test_service_runs_with_its_env_and_logs_to_a_file(host, services):
    services.install("echoer", ["/bin/sh", "-c", "echo started with $COLOUR; exec sleep 60"],
                          env={"COLOUR": "blue"})
    services.start("echoer")
    services.start("echoer")  # a second start is a no-op
    assert services.is_running("echoer")
    assert services.log_where("echoer") == str(ServiceFiles.of(host, "echoer").log)
    assert wait_until(lambda: "started with blue" in services.log_tail("echoer"))
    assert services.log_tail("echoer").count("started with blue") == 1
    spec = ServiceFiles.of(host, "echoer").spec
    assert oct(spec.stat().st_mode & 0o777) == "0o600", "the spec may hold secrets"


def test_service_restarts_after_kill_9(host, services):
    services.install("sleeper", ["sleep", "60"])
    services.start("sleeper")
    files = ServiceFiles.of(host, "sleeper")
    first = read_pid(files.child_pid)
    os.kill(first, signal.SIGKILL)
    assert wait_until(lambda: read_pid(files.child_pid) not in (None, first))
    assert services.is_running("sleeper")
    assert json.loads(files.status.read_text())["restarts"] == 1


def test_service_survives_the_process_that_started_it(host, services):
    script = (f"import sys; sys.path.insert(0, {str(REPO)!r}); from pathlib import Path; "
              "from installer.host import Host; from installer.services import manager_for; "
              "s = manager_for(Host(Path(sys.argv[1]))); "
              "s.install('survivor', ['sleep', '60']); s.start('survivor')")
    subprocess.run([sys.executable, "-c", script, str(host.root)], check=True, timeout=30)
    assert services.is_running("survivor")
    supervisor = read_pid(ServiceFiles.of(host, "survivor").supervisor_pid)
    stat = Path(f"/proc/{supervisor}/stat").read_text().rsplit(")", 1)[1].split()
    assert int(stat[1]) != os.getpid(), "detached: not a child of the starter"
    # /proc/PID/stat after the command: state, ppid, pgrp, session, ...
    pgrp, session = int(stat[2]), int(stat[3])
    assert session not in (0, os.getsid(0)) and pgrp != os.getpgrp(), "in a session of its own"


def test_a_crashing_service_backs_off_and_stop_ends_it(host, services):
    services.install("crasher", ["/bin/sh", "-c", "echo boom; exit 3"])
    services.start("crasher")
    files = ServiceFiles.of(host, "crasher")
    assert wait_until(lambda: files.status.is_file() and json.loads(files.status.read_text())["restarts"] >= 2)
    log = files.log.read_text()
    assert "exited with code 3; restarting in 0.5s" in log and "restarting in 1.0s" in log
    services.stop("crasher")
    assert not services.is_running("crasher")
    assert read_pid(files.supervisor_pid) is None


def test_stop_then_start_and_remove_leave_nothing(host, services):
    services.install("cycler", ["sleep", "60"])
    services.start("cycler")
    child = read_pid(ServiceFiles.of(host, "cycler").child_pid)
    services.stop("cycler")
    assert not _is_alive(child)
    services.start("cycler")
    assert services.is_running("cycler")
    services.remove("cycler")
    services.remove("cycler")
    assert not host.root.exists() or list(host.root.rglob("*")) == []


def test_starting_an_unknown_service_is_a_clear_error(services):
    with pytest.raises(AirliftError, match="not installed"):
        services.start("nothing-here")


def test_a_missing_program_is_logged_and_retried(services):
    services.install("ghost", ["/nonexistent/airlift-ghost"])
    with pytest.raises(AirliftError, match="could not start its program"):
        services.start("ghost")
    assert "cannot start /nonexistent/airlift-ghost" in services.log_tail("ghost")


def _is_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return "Z" != Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_start_after_the_supervisor_was_killed_replaces_the_orphaned_service(host, services):
    services.install("orphaned", ["sleep", "60"])
    services.start("orphaned")
    files = ServiceFiles.of(host, "orphaned")
    orphan = read_pid(files.child_pid)
    os.kill(read_pid(files.supervisor_pid), signal.SIGKILL)
    assert wait_until(lambda: not services.is_running("orphaned"))
    services.start("orphaned")
    assert services.is_running("orphaned")
    assert not _is_alive(orphan), "the old service process must not keep the port or files"
    assert read_pid(files.child_pid) != orphan


def test_a_stale_pid_file_naming_another_process_does_not_count(host, services):
    services.install("stale", ["sleep", "60"])
    files = ServiceFiles.of(host, "stale")
    files.run_dir.mkdir(parents=True)
    files.supervisor_pid.write_text(f"{os.getpid()} 1\n")  # alive, but started at another time
    files.child_pid.write_text(f"{os.getpid()} 1\n")
    assert not services.is_running("stale")
    services.start("stale")
    assert services.is_running("stale")
    assert _is_alive(os.getpid())
