"""The persistent agent: once a node is part of the cluster, the service `airlift-agent` keeps it
in contact with the cluster controller on the first master (installer/cluster_service), so day-2
operations (`./install remove`) reach it after the install.

It runs the installer the node kept (`<state>/installer/install join ... --stay`), with the join
token in a 0600 file of the state folder, never on a command line, and the certificate
fingerprint the agent pinned. A node that holds no kept installer took no part in the install
(its checks failed, say) and gets no service.
"""

from __future__ import annotations

from pathlib import Path

from installer.cluster_service import service
from installer.host import Host
from installer.installer_copy import kept_launcher
from installer.services import ServiceManager
from installer.services.names import AGENT
from installer.statedir import StateDir


def keep_in_contact(host: Host, services: ServiceManager, state_dir: Path, controller: str, token: str,
                    fingerprint: str, address: str) -> bool:
    """Install and start `airlift-agent` for the controller at `controller` (ADDR:PORT); False
    when this node kept no installer."""
    if kept_launcher(state_dir) is None:
        return False
    token_file = StateDir(state_dir).join_token
    host.write_file(token_file, token + "\n", mode=0o600)
    argv = service.agent_argv(host, state_dir, controller, fingerprint, token_file, address)
    service.start(services, AGENT, argv)
    return True
