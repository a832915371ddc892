"""A client of the cluster controller on this host (the first master), for its administrative
actions: `./install remove` and the control panel present the admin token, which never leaves this
host, and pin the certificate the controller serves."""

from __future__ import annotations

from pathlib import Path

from installer import answers as answers_mod
from installer.errors import AirliftError
from installer.node_agent.client import AgentClient
from installer.ports import AGENT_PORT
from installer.statedir import StateDir
from installer.tls import saved_fingerprint


def controller_client(folder: Path) -> AgentClient:
    """A client of the controller on this host, with the admin token and the certificate it serves."""
    paths = StateDir(folder)
    token_file, fingerprint = paths.admin_token, saved_fingerprint(folder)
    if not token_file.is_file() or fingerprint is None:
        raise AirliftError(f"No installed cluster in {folder}: its admin token or certificate is missing",
                           hint="run this on the first master (the host the install ran on), "
                                "with --state-dir if the install used another state folder")
    answers = answers_mod.load_file(paths.answers) if paths.answers.is_file() else {}
    port = int(answers.get("agent-port") or AGENT_PORT)
    return AgentClient("127.0.0.1", port, token_file.read_text(encoding="utf-8").strip(), fingerprint, folder)
