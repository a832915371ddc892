"""SSH hosts reached with a password or an encrypted key, against a real sshd on 127.0.0.2, through
the engine's wizard path (inspect, confirm the fingerprint, add with the secret): the host's agent
(the real one, from the source tree, in its own UTS namespace so it has its own hostname) joins,
the answers keep the host without its secret, and the secret is in no file of the state folder.
Without a terminal, `./install --cli` refuses a node that needs a password, naming its variable."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from installer.engine import Engine
from installer.errors import AirliftError
from installer.ssh.session import PassphraseRequired
from tests.fixtures.net import free_port, wait_until
from tests.fixtures.sshd import PasswordSshd, keygen, node_bundle
from tests.fixtures.terminal import run_on_terminal

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ADDRESS = "127.0.0.2"
PASSWORD = "pw-Wq81!sshd"
PHRASE = "phrase-Zk42 locked"


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[PasswordSshd]:
    server = PasswordSshd(tmp_path / "sshd", ADDRESS, PASSWORD, [keygen(tmp_path / "locked_key", PHRASE)])
    server.locked_key = tmp_path / "locked_key"
    server.start()
    yield server
    server.stop()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    bundle = node_bundle(tmp_path / "bundle", tmp_path / "agent")
    eng = Engine(bundle, tmp_path / "state", tmp_path / "root")
    eng.set_answers({"advertise-addr": "127.0.0.1", "accept-eula": True, "flavor": "three",
                     "agent-port": free_port()})
    yield eng
    started = [e.message for e in eng.events_since(0) if e.message.startswith("Agent started on")]
    if eng.agents is not None:
        eng.agents.finish_all()
        eng.agents.stop()
    for message in started:  # the agent stops once told the install is over; make sure of it
        pid = int(re.search(r"pid (\d+)", message).group(1))
        if wait_until(lambda p=pid: not Path(f"/proc/{p}").exists(), 10) is False:
            os.kill(pid, signal.SIGKILL)


def _statuses(engine: Engine, address: str) -> list[str]:
    return [e.status for e in engine.events_since(0) if e.kind == "node" and (e.data or {}).get("address") == address]


def _joined(engine: Engine) -> bool:
    return "joined" in _statuses(engine, ADDRESS)


def _files_holding(folder: Path, secret: str) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_an_encrypted_key_is_confirmed_unlocked_and_the_host_joins(engine, sshd, tmp_path) -> None:
    spec = {"address": ADDRESS, "port": sshd.port, "user": "root", "role": "worker", "key": str(sshd.locked_key)}
    shown = engine.inspect_ssh_node(spec)
    assert (shown["fingerprint"], shown["new"], shown["needs"]) == (sshd.fingerprint, True, "passphrase")
    with pytest.raises(PassphraseRequired, match=f"for root@{ADDRESS}:{sshd.port}"):
        engine.add_ssh_node(spec, None, shown["fingerprint"])
    with pytest.raises(AirliftError, match=f"passphrase of SSH key .* for root@{ADDRESS}:{sshd.port} is wrong"):
        engine.add_ssh_node(spec, "not the phrase", shown["fingerprint"])
    assert engine.answers["nodes"] == [], "a refused host is not kept"

    engine.add_ssh_node(spec, PHRASE, shown["fingerprint"])
    assert wait_until(lambda: _joined(engine), 90), _statuses(engine, ADDRESS)
    assert _statuses(engine, ADDRESS)[:2] == ["ssh-connecting", "ssh"]
    assert engine.answers["nodes"] == [spec], "kept for a headless replay, without the passphrase"
    assert any(n["address"] == ADDRESS and n["name"] == "ssh-node" for n in engine.snapshot()["nodes"])
    assert engine.inspect_ssh_node(spec)["new"] is False, "the confirmed key was recorded"
    with pytest.raises(AirliftError, match=f"{ADDRESS} already joined as node ssh-node"):
        engine.add_ssh_node(spec, PHRASE, shown["fingerprint"])
    assert _files_holding(tmp_path / "state", PHRASE) == []
    assert _files_holding(tmp_path / "agent", PHRASE) == []


def test_a_wrong_password_is_reported_then_the_right_one_joins(engine, sshd, tmp_path) -> None:
    spec = {"address": ADDRESS, "port": sshd.port, "role": "worker", "password": "ask"}
    fingerprint = engine.inspect_ssh_node(spec)["fingerprint"]
    engine.add_ssh_node(spec, "wrong password", fingerprint)
    assert wait_until(lambda: "ssh-failed" in _statuses(engine, ADDRESS), 30)
    failed = [e for e in engine.events_since(0) if e.status == "ssh-failed"][-1]
    assert failed.message == f"root@{ADDRESS}:{sshd.port} refused the password."
    assert "enter the password again" in failed.data["hint"]

    engine.add_ssh_node(spec, PASSWORD, fingerprint)
    assert wait_until(lambda: _joined(engine), 90), _statuses(engine, ADDRESS)
    assert engine.answers["nodes"] == [spec]
    for secret in (PASSWORD, "wrong password"):
        assert _files_holding(tmp_path / "state", secret) == []


def test_a_host_that_now_shows_another_key_than_the_one_confirmed_is_refused(engine, sshd) -> None:
    spec = {"address": ADDRESS, "port": sshd.port, "role": "worker", "password": "ask"}
    engine.add_ssh_node(spec, PASSWORD, "SHA256:" + "A" * 43)
    assert wait_until(lambda: "ssh-failed" in _statuses(engine, ADDRESS), 30)
    failed = [e for e in engine.events_since(0) if e.status == "ssh-failed"][-1]
    assert f"now shows host key {sshd.fingerprint}" in failed.message
    assert engine.inspect_ssh_node(spec)["new"] is True, "nothing was recorded"


def test_the_cli_without_a_terminal_names_the_node_and_its_variable(tmp_path) -> None:
    bundle = node_bundle(tmp_path / "bundle", tmp_path / "agent")
    config = tmp_path / "answers.yaml"
    config.write_text(f"advertise-addr: 127.0.0.1\naccept-eula: true\nflavor: three\nagent-port: {free_port()}\n"
                      f"nodes:\n  - address: {ADDRESS}\n    password: ask\n    role: worker\n")
    done = subprocess.run([sys.executable, "-m", "installer", "--cli", "--config", str(config), "--state-dir",
                           str(tmp_path / "state"), "--root", str(tmp_path / "root")], cwd=REPO,
                          env={**os.environ, "AIRLIFT_BUNDLE_DIR": str(bundle), "PYTHONPATH": str(REPO)},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    out = done.stdout + done.stderr
    assert f"root@{ADDRESS}:22 needs its password, and there is no terminal" in out
    assert "AIRLIFT_SSH_PASSWORD_127_0_0_2" in out


def test_the_cli_on_a_terminal_asks_for_the_passphrase_without_echo(tmp_path) -> None:
    """Three wrong passphrases typed on a real terminal (a pty): each asked again, none echoed, and
    the install stops before anything starts."""
    key = keygen(tmp_path / "locked_key", PHRASE)
    config = tmp_path / "answers.yaml"
    config.write_text(f"advertise-addr: 127.0.0.1\naccept-eula: true\nflavor: three\nagent-port: {free_port()}\n"
                      f"nodes:\n  - {{address: {ADDRESS}, key: {key}, role: worker}}\n")
    argv = [sys.executable, "-m", "installer", "--cli", "--config", str(config), "--state-dir",
            str(tmp_path / "state"), "--root", str(tmp_path / "root")]
    env = {**os.environ, "AIRLIFT_BUNDLE_DIR": str(node_bundle(tmp_path / "bundle", tmp_path / "agent")),
           "PYTHONPATH": str(REPO)}
    prompt = f"Passphrase of SSH key {key} (for root@{ADDRESS}:22): ".encode()
    typed = [(prompt, f"wrong-{n}-8Jd\n".encode()) for n in ("one", "two", "three")]
    code, shown = run_on_terminal(argv, env, typed)
    assert code == 2, shown
    assert shown.count("Try again.") == 2 and "is wrong" in shown
    assert "wrong-" not in shown, "a passphrase typed must not be echoed"
