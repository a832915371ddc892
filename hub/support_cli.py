"""`python -m hub kubeconfig SITE --as USER` and `python -m hub ssh SITE NODE --as USER`: what a
vendor's operator gets of a site's open support session, run on the hub host (the forwarded
ports listen on its loopback only). Each use is audited under the user's name."""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import sys
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import support
from hub.models import SupportSession, User, aware
from hub.roles import SUPPORT, require
from installer.errors import AirliftError
from installer.support.actions import key_fingerprint


def session_for(db: Session, site_id: str, service: str) -> tuple[SupportSession, int]:
    """The site's usable session and the hub-local port of `service` in it."""
    session = support.open_for_site(db, site_id)
    if session is None:
        raise AirliftError(f"Site {site_id} has no open support session",
                           hint="the site's operator opens one with ./install support open --allow …")
    port = support.ports_of(session).get(service)
    if port is None:
        raise AirliftError(f"Site {site_id}'s support session does not allow {service}",
                           hint=f"the site's operator opens one with ./install support open --allow {service}")
    return session, port


def kubeconfig(session: SupportSession, port: int) -> str:
    """A kubeconfig to the forwarded Kubernetes API, checking its certificate against the cluster's
    CA the site sent; it carries no credentials (the site gives those)."""
    if not session.kube_ca:
        raise AirliftError(f"Site {session.site_id}'s support session carries no cluster CA, so the API's "
                           "certificate could not be checked", hint="the site's operator opens the session again "
                           "with ./install support open --allow kube (an installer that sends its cluster's CA)")
    cluster = {"server": f"https://{support.LOOPBACK}:{port}", "tls-server-name": "kubernetes",
               "certificate-authority-data": base64.b64encode(session.kube_ca.encode()).decode()}
    name = session.site_id
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "current-context": name,
                           "clusters": [{"name": name, "cluster": cluster}],
                           "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
                           "users": [{"name": name, "user": {}}]}, sort_keys=False)


def run(db: Session, args: argparse.Namespace) -> int:
    user = db.scalar(select(User).where(User.name == args.user))
    if user is None:
        raise AirliftError(f"There is no user {args.user} on this hub", hint="python -m hub user add NAME")
    service = "kube" if args.command == "kubeconfig" else f"ssh:{args.node}"
    what = "get a kubeconfig" if service == "kube" else f"ssh to node {args.node}"
    try:
        require(user.name, user.role, SUPPORT, what)
    except AirliftError:
        support.audit(db, user.name, "refused", f"{what} of {args.site} refused: role {user.role}", args.site)
        db.commit()
        raise
    session, port = session_for(db, args.site, service)
    support.audit(db, user.name, service.partition(":")[0], f"{what} through {support.LOOPBACK}:{port}", args.site,
                  session.id)
    db.commit()
    if service == "kube":
        print(f"# for {args.site}, valid until {aware(session.expires_at):%Y-%m-%d %H:%M} UTC (the session's end)")
        print(kubeconfig(session, port), end="")
        return 0
    ssh = shutil.which("ssh")
    if ssh is None:
        raise AirliftError("There is no ssh client on this host", hint="install openssh-client")
    key = support.host_keys_of(session)[service]
    print(f"Node {args.node} of {args.site}: SSH host key {key_fingerprint(key)} (as the site saw it when the session "
          "was opened; ssh refuses any other)", file=sys.stderr, flush=True)
    os.execv(ssh, ssh_command(ssh, known_hosts(args.data, session, service, port), port, args.login))


def known_hosts(data: Path, session: SupportSession, service: str, port: int) -> Path:
    """A known_hosts file holding only the node's key for the forwarded port (DATA/ssh, 0600)."""
    folder = data / "ssh" / "known_hosts.d"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{session.id}-{service.replace(':', '-')}"
    path.write_text(f"[{support.LOOPBACK}]:{port} {support.host_keys_of(session)[service]}\n")
    path.chmod(0o600)
    return path


def ssh_command(ssh: str, known: Path, port: int, login: str) -> list[str]:
    """ssh to the forwarded port, checking the node's key strictly against `known` only."""
    return [ssh, "-p", str(port), "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known}",
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", "UpdateHostKeys=no", f"{login}@{support.LOOPBACK}"]
