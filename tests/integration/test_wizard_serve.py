"""`serve()` as a real process: TLS on the chosen address, token in the printed link, clean Ctrl-C,
the same certificate after a restart, and a clear refusal when the port is taken; and `./install`
started as a background job of a non-interactive shell (SIGINT inherited ignored) still stops on
SIGINT and on SIGTERM."""

import os
import re
import shlex
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.fixtures.net import free_port
from tests.fixtures.processes import stop_process

REPO = Path(__file__).resolve().parents[2]
SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from installer.errors import AirliftError
from tests.unit.engine_double import EngineDouble
from wizard import serve
try:
    serve(EngineDouble(Path(sys.argv[2])), sys.argv[1], Path(sys.argv[2]))
except AirliftError as error:
    print(error.render(), file=sys.stderr)
    sys.exit(2)
"""


def read_until_ready(proc: subprocess.Popen, lines: list[str]) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any("Press Ctrl-C" in line for line in lines):
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
    return "".join(lines)


class Wizard:
    def __init__(self, state_dir: Path, port: int) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", SCRIPT.format(repo=str(REPO)), f"127.0.0.1:{port}",
                                      str(state_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        text = read_until_ready(self.proc, self.lines)
        self.url = re.search(r"https://\S+\?token=\S+", text).group(0)
        self.fingerprint = re.search(r"(([0-9A-F]{2}:){31}[0-9A-F]{2})", text).group(1)

    def stop(self) -> tuple[int, str]:
        out = stop_process(self.proc, signal.SIGINT)  # Ctrl-C, as the operator would
        return self.proc.returncode, out


@pytest.fixture
def state_dir(tmp_path):
    return tmp_path / "state"


def test_serves_tls_with_token_and_stops_cleanly(state_dir):
    port = free_port()
    wizard = Wizard(state_dir, port)
    try:
        cert = str(state_dir / "tls" / "tls.crt")
        base = f"https://127.0.0.1:{port}"
        assert requests.get(base + "/", verify=cert, timeout=10).status_code == 401
        browser = requests.Session()
        page = browser.get(wizard.url, verify=cert, timeout=10)
        assert page.status_code == 200 and "screen-welcome" in page.text
        assert browser.get(base + "/api/snapshot", verify=cert, timeout=10).json()["bundle"]["name"] == "hello"
        assert requests.get(wizard.url, verify=cert, timeout=10).status_code == 401  # spent
        url_file = state_dir / "wizard" / "url"
        assert stat.S_IMODE(url_file.stat().st_mode) == 0o600
        fresh = url_file.read_text().strip()
        assert fresh != wizard.url and requests.get(fresh, verify=cert, timeout=10).status_code == 200
    finally:
        code, out = wizard.stop()
    assert code == 0 and "Wizard stopped" in out
    assert "For another browser, open:" in out
    log = (state_dir / "wizard" / "wizard.log").read_text()
    assert "refused access token" in log
    assert wizard.url.split("token=")[1] not in log


def test_restart_keeps_the_certificate(state_dir):
    first = Wizard(state_dir, free_port())
    first.stop()
    second = Wizard(state_dir, free_port())
    second.stop()
    assert first.fingerprint == second.fingerprint


def test_port_in_use_is_refused_with_the_address(state_dir):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run([sys.executable, "-c", SCRIPT.format(repo=str(REPO)), f"127.0.0.1:{port}",
                               str(state_dir)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr and "--listen" in proc.stderr


def test_sigterm_also_stops_cleanly(state_dir):
    wizard = Wizard(state_dir, free_port())
    os.kill(wizard.proc.pid, signal.SIGTERM)
    out, _ = wizard.proc.communicate(timeout=20)
    assert wizard.proc.returncode == 0 and "Wizard stopped" in out


def test_ctrl_c_during_the_install_says_it_is_interrupted(state_dir):
    port = free_port()
    wizard = Wizard(state_dir, port)
    cert = str(state_dir / "tls" / "tls.crt")
    browser = requests.Session()
    browser.get(wizard.url, verify=cert, timeout=10)
    assert browser.post(f"https://127.0.0.1:{port}/api/start", json={}, verify=cert, timeout=10).status_code == 200
    code, out = wizard.stop()
    assert code == 0 and "while the install was running: it is interrupted" in out


def ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


PROBE = "import signal; print('probe:', signal.getsignal(signal.SIGINT).name)"


class BackgroundInstall:
    """`./install --listen ...` (python -m wizard, the sources' ./install) started as `sh -c
    'install ... &'`: a background job of a non-interactive shell, which starts it with SIGINT
    ignored (the shell itself too, as a script run in the background would be). A probe started
    the same way first prints what such a job inherits; the shell waits for the wizard and prints
    its exit status."""

    def __init__(self, hello_bundle_dir: Path, tmp: Path) -> None:
        command = [sys.executable, "-m", "wizard", "--listen", f"127.0.0.1:{free_port()}",
                   "--root", str(tmp / "root"), "--state-dir", str(tmp / "state")]
        (tmp / "root").mkdir()
        probe = shlex.join([sys.executable, "-c", PROBE])
        script = f'{probe} & wait $!; {shlex.join(command)} & pid=$!; echo "pid=$pid"; wait "$pid"; echo "exit=$?"'
        env = {**os.environ, "AIRLIFT_BUNDLE_DIR": str(hello_bundle_dir), "PYTHONPATH": str(REPO)}
        self.shell = subprocess.Popen(["sh", "-c", script], cwd=REPO, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, preexec_fn=ignore_sigint)
        self.lines: list[str] = []
        self.started = read_until_ready(self.shell, self.lines)
        assert "Press Ctrl-C" in self.started, self.started
        self.pid = int(re.search(r"^pid=(\d+)$", self.started, re.M).group(1))

    def signal_and_wait(self, sig: int) -> tuple[int, str]:
        """Send `sig` to the wizard alone; (its exit status, what it printed after starting).
        SIGKILL after 20 s, failing the test, rather than waiting for ever."""
        os.kill(self.pid, sig)
        try:
            out, _ = self.shell.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            out, _ = self.shell.communicate(timeout=20)
            raise AssertionError("the wizard did not stop; killed it:\n" + self.started + out) from None
        return int(re.search(r"^exit=(\d+)$", out, re.M).group(1)), out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_started_in_the_background_with_sigint_ignored_it_still_stops(hello_bundle_dir, tmp_path, sig):
    install = BackgroundInstall(hello_bundle_dir, tmp_path)
    assert "probe: SIG_IGN" in install.started  # what the wizard inherited too
    code, out = install.signal_and_wait(sig)
    assert code == 0 and "Wizard stopped." in out, out
    assert "Traceback" not in out
