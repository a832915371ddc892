"""Which nodes' sshd a support session forwards, and the host key each shows. `--allow ssh`
means every node that joined; `--allow ssh:NODE` that node only. The site reads each node's host
key itself, on its own network, when the session is granted (checked against the key recorded
when the node was reached over SSH, if it was) and sends it with the session, so the vendor's
ssh checks it instead of trusting whatever answers on the forwarded port."""

from __future__ import annotations

import json
import re
import socket

import paramiko

from installer.errors import AirliftError
from installer.ssh.known_hosts import KnownHosts, fingerprint
from installer.statedir import StateDir

SSH_PORT = 22
TIMEOUT_S = 10
NODE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def joined_nodes(paths: StateDir) -> dict[str, str]:
    """Node name -> address, as the cluster service recorded them."""
    try:
        records = json.loads(paths.nodes.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(r["name"]): str(r["address"]) for r in records if isinstance(r, dict) and "name" in r}


def expand(paths: StateDir, allow: list[str]) -> tuple[list[str], dict[str, str]]:
    """`ssh` -> one `ssh:NODE` per joined node, each `ssh:NODE` checked to be a node; the services
    and their targets (ADDRESS:22) on this side."""
    nodes = joined_nodes(paths)
    services: list[str] = []
    for name in allow:
        if name == "ssh":
            if not nodes:
                raise AirliftError("--allow ssh: no node has joined this cluster yet",
                                   hint="check ./install status; name a node with ssh:NODE once it has")
            services += [f"ssh:{n}" for n in nodes]
        elif name.startswith("ssh:") and name[4:] not in nodes:
            raise AirliftError(f"--allow {name}: there is no node {name[4:]} in this cluster",
                               hint=f"nodes: {', '.join(nodes) or 'none yet'}")
        else:
            services.append(name)
    services = list(dict.fromkeys(services))
    return services, {s: f"{nodes[s[4:]]}:{SSH_PORT}" for s in services if s.startswith("ssh:")}


def host_keys(paths: StateDir, targets: dict[str, str]) -> dict[str, str]:
    """Service -> the OpenSSH public key line its sshd shows now."""
    known = KnownHosts(paths.known_hosts)
    keys = {}
    for service, target in targets.items():
        address, _, port = target.rpartition(":")
        key = scan(address, int(port))
        recorded = known.fingerprints(address, int(port))
        if recorded and fingerprint(key) not in recorded:
            raise AirliftError(f"Node {service[4:]} ({address}) shows SSH host key {fingerprint(key)}, not the one "
                               f"recorded when it was reached over SSH ({', '.join(recorded)})",
                               hint=f"find out why its key changed before letting anyone in; then remove its line "
                                    f"from {paths.known_hosts}")
        keys[service] = f"{key.get_name()} {key.get_base64()}"
    return keys


def scan(address: str, port: int) -> paramiko.PKey:
    """The host key the sshd at address:port shows (a key exchange only, no login)."""
    try:
        sock = socket.create_connection((address, port), timeout=TIMEOUT_S)
    except OSError as e:
        raise AirliftError(f"The sshd of {address}:{port} cannot be reached from this master ({e})",
                           hint="check that sshd runs on that node, or leave it out of --allow") from None
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=TIMEOUT_S)
        return transport.get_remote_server_key()
    except paramiko.SSHException as e:
        raise AirliftError(f"{address}:{port} did not complete an SSH key exchange ({e})",
                           hint="check that it is the node's sshd") from None
    finally:
        transport.close()
