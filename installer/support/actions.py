"""Opening and closing a support session, as the site's operator asks for it: the one engine
call behind `./install support open|close` and the control panel's Support screen, so both grant
exactly the same thing (nodes expanded, their host keys read, the cluster's CA for kube)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from installer import answers as answers_mod
from installer.errors import AirliftError
from installer.host import Host
from installer.hub_link.link import read_link
from installer.hub_link.transport import HubRefused, HubUnreachable
from installer.statedir import StateDir
from installer.support import node_ssh
from installer.support.cluster_ca import cluster_ca
from installer.support.grant import Grant, close_grant, default_targets, open_grant
from installer.support.tunnel import close_session


@dataclass(frozen=True)
class Opened:
    grant: Grant
    hub_url: str
    host_keys: dict[str, str]  # node -> SSH host key fingerprint, shown to whoever granted


@dataclass(frozen=True)
class Closed:
    grant: Grant | None  # None: none was open
    hub_not_told: str | None  # why the hub was not told (it ends the session at its TTL)


def open_support(paths: StateDir, host: Host, allow: list[str], ttl_s: int, who: str) -> Opened:
    """Grant the vendor `allow` for `ttl_s`; the cluster service dials out for it."""
    link = read_link(paths)
    if link is None:
        raise AirliftError("This site is not connected to a hub, so support cannot go through one",
                           hint="./install hub connect URL --token T first")
    answers = answers_mod.saved(paths.answers) if paths.answers.exists() else answers_mod.Answers()
    allow, ssh_targets = node_ssh.expand(paths, allow)
    kube_ca = cluster_ca(host) if "kube" in allow else None
    keys = node_ssh.host_keys(paths, ssh_targets)
    targets = default_targets(answers.panel_port, answers.api_port, str(answers.advertise_addr or "127.0.0.1"))
    grant = open_grant(paths, allow, ttl_s, targets | ssh_targets, who, kube_ca=kube_ca, host_keys=keys)
    return Opened(grant, link.url, {service[4:]: key_fingerprint(key) for service, key in keys.items()})


def close_support(paths: StateDir, who: str) -> Closed:
    """End the grant for good and tell the hub; nothing reconnects after this."""
    grant = close_grant(paths, f"closed by {who}")
    link = read_link(paths)
    if link is None:
        return Closed(grant, None)
    try:
        close_session(paths, link)
    except (HubRefused, HubUnreachable) as e:
        return Closed(grant, e.message)
    return Closed(grant, None)


def key_fingerprint(key_line: str) -> str:
    """An OpenSSH public key line's fingerprint, as ssh-keygen -l prints it."""
    digest = hashlib.sha256(base64.b64decode(key_line.split()[1])).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")
