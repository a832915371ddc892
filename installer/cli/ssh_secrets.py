"""`./install --cli` with SSH nodes: the passwords and key passphrases they need, asked on the
terminal (nothing echoed: installer/cli/typed.py) or, without one, read from each node's
environment variable.

Never from a flag: a command line is visible to every user of the host in the process list.
A passphrase is checked against its key file at once, so a typo is asked again (three tries) on
the terminal, and a wrong one from the environment is refused before anything starts. A key shared
by several nodes is asked for once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from installer.errors import AirliftError
from installer.ssh.secrets import SshSecrets, env_name, label, needed, take_from_env
from installer.ssh.session import load_key

Ask = Callable[[str], str]
TRIES = 3


def gather(nodes: list[dict], secrets: SshSecrets, ask: Ask | None) -> None:
    """Put in `secrets` what each node of the answers needs; `ask` prompts on the terminal (None
    when there is none: then the environment variable must hold it)."""
    by_key: dict[str, str] = {}
    for spec in nodes:
        kind = needed(spec)
        if kind is None:
            continue
        address = spec["address"]
        secret = take_from_env(kind, address)
        if secret is not None:
            if kind == "passphrase":
                _check_passphrase(spec, secret, f" (from {env_name(kind, address)})")
        elif kind == "passphrase" and spec["key"] in by_key:
            secret = by_key[spec["key"]]
        elif ask is None:
            raise AirliftError(f"SSH node {label(spec)} needs its {kind}, and there is no terminal to ask for it.",
                               hint=f"Run ./install --cli on a terminal, or set {env_name(kind, address)} in the "
                                    "installer's environment (never on the command line).")
        else:
            secret = _ask(spec, kind, ask)
        if kind == "passphrase":
            by_key[spec["key"]] = secret
        secrets.put(address, secret)


def _ask(spec: dict, kind: str, ask: Ask) -> str:
    if kind == "password":
        return ask(f"SSH password for {label(spec)}: ")
    prompt = f"Passphrase of SSH key {spec['key']} (for {label(spec)}): "
    tries = TRIES
    while True:
        secret = ask(prompt)
        try:
            _check_passphrase(spec, secret, "")
            return secret
        except AirliftError as exc:
            tries -= 1
            if tries == 0:
                raise
            print(f"{exc.message} Try again.")


def _check_passphrase(spec: dict, secret: str, where: str) -> None:
    load_key(Path(spec["key"]), secret, f" for {label(spec)}{where}")
