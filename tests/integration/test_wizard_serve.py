"""`serve()` as a real process: TLS on the chosen address, token in the printed link, clean Ctrl-C,
the same certificate after a restart, and a clear refusal when the port is taken."""

import os
import re
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


class Wizard:
    def __init__(self, state_dir: Path, port: int) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", SCRIPT.format(repo=str(REPO)), f"127.0.0.1:{port}",
                                      str(state_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("Press Ctrl-C" in line for line in self.lines):
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line)
        text = "".join(self.lines)
        self.url = re.search(r"https://\S+\?token=\S+", text).group(0)
        self.fingerprint = re.search(r"(([0-9A-F]{2}:){31}[0-9A-F]{2})", text).group(1)

    def stop(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGINT)
        out, _ = self.proc.communicate(timeout=20)
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
