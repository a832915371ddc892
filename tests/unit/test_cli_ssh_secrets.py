"""`./install --cli` with SSH nodes: passwords and passphrases from the terminal or the node's
environment variable, checked early, never kept anywhere but in memory (and masked in events)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from installer.cli.ssh_secrets import gather
from installer.errors import AirliftError
from installer.events import Event, EventBus
from installer.ssh.secrets import SshSecrets, env_name

PHRASE = "correct horse battery"


def _key(path: Path, passphrase: str | None) -> str:
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption))
    return str(path)


class Terminal:
    """The replies an operator types, in order; records each prompt."""

    def __init__(self, *replies: str) -> None:
        self.replies, self.prompts = list(replies), []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.replies.pop(0)


@pytest.fixture
def bus_secrets() -> tuple[EventBus, SshSecrets]:
    bus = EventBus()
    return bus, SshSecrets(bus)


def test_a_shared_encrypted_key_is_asked_once_and_a_typo_asked_again(tmp_path, bus_secrets) -> None:
    bus, secrets = bus_secrets
    key = _key(tmp_path / "id", PHRASE)
    nodes = [{"address": "10.0.0.2", "key": key}, {"address": "10.0.0.3", "key": key, "user": "ops"},
             {"address": "10.0.0.4", "key": _key(tmp_path / "plain", None)}]
    terminal = Terminal("typo", PHRASE)
    gather(nodes, secrets, terminal)
    assert terminal.prompts == [f"Passphrase of SSH key {key} (for root@10.0.0.2:22): "] * 2
    assert (secrets.get("10.0.0.2"), secrets.get("10.0.0.3"), secrets.get("10.0.0.4")) == (PHRASE, PHRASE, None)
    assert PHRASE not in bus.emit(Event("log", "info", f"echo {PHRASE}")).message


def test_three_wrong_passphrases_stop_with_the_host_named(tmp_path, bus_secrets) -> None:
    key = _key(tmp_path / "id", PHRASE)
    with pytest.raises(AirliftError, match=r"passphrase of SSH key .* for root@10.0.0.2:22 is wrong"):
        gather([{"address": "10.0.0.2", "key": key}], bus_secrets[1], Terminal("a", "b", "c"))


def test_a_password_is_asked_for_on_the_terminal(bus_secrets) -> None:
    terminal = Terminal("pa55 word")
    gather([{"address": "10.0.0.9", "user": "admin", "port": 2222, "password": "ask"}], bus_secrets[1], terminal)
    assert terminal.prompts == ["SSH password for admin@10.0.0.9:2222: "]
    assert bus_secrets[1].get("10.0.0.9") == "pa55 word"


def test_without_a_terminal_the_refusal_names_the_node_and_its_variable(bus_secrets) -> None:
    with pytest.raises(AirliftError) as err:
        gather([{"address": "10.0.0.9", "password": "ask"}], bus_secrets[1], None)
    assert "root@10.0.0.9:22 needs its password" in err.value.message
    assert "AIRLIFT_SSH_PASSWORD_10_0_0_9" in err.value.hint and "never on the command line" in err.value.hint


def test_the_environment_variable_is_read_once_and_removed(tmp_path, bus_secrets, monkeypatch) -> None:
    key = _key(tmp_path / "id", PHRASE)
    monkeypatch.setenv(env_name("password", "10.0.0.9"), "from env")
    monkeypatch.setenv(env_name("passphrase", "10.0.0.2"), PHRASE)
    gather([{"address": "10.0.0.9", "password": "ask"}, {"address": "10.0.0.2", "key": key}], bus_secrets[1], None)
    assert (bus_secrets[1].get("10.0.0.9"), bus_secrets[1].get("10.0.0.2")) == ("from env", PHRASE)
    assert "AIRLIFT_SSH_PASSWORD_10_0_0_9" not in os.environ, "child processes must not inherit it"


def test_a_wrong_passphrase_in_the_environment_names_the_variable(tmp_path, bus_secrets, monkeypatch) -> None:
    key = _key(tmp_path / "id", PHRASE)
    monkeypatch.setenv("AIRLIFT_SSH_PASSPHRASE_10_0_0_2", "nope")
    with pytest.raises(AirliftError, match="AIRLIFT_SSH_PASSPHRASE_10_0_0_2.* is wrong"):
        gather([{"address": "10.0.0.2", "key": key}], bus_secrets[1], Terminal())
