"""`python -m hub kubeconfig SITE --as USER` and `python -m hub ssh SITE --as USER`: what a
vendor's operator gets of a site's open support session, run on the hub host (the forwarded
ports listen on its loopback only). Each use is audited under the user's name."""

from __future__ import annotations

import argparse
import base64
import os
import shutil

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import support
from hub.models import SupportSession, User, aware
from hub.roles import SUPPORT, require
from installer.errors import AirliftError


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
    service = "kube" if args.command == "kubeconfig" else "ssh"
    what = "get a kubeconfig" if service == "kube" else "ssh to a site's node"
    try:
        require(user.name, user.role, SUPPORT, what)
    except AirliftError:
        support.audit(db, user.name, "refused", f"{what} of {args.site} refused: role {user.role}", args.site)
        db.commit()
        raise
    session, port = session_for(db, args.site, service)
    support.audit(db, user.name, service, f"{what} through {support.LOOPBACK}:{port}", args.site, session.id)
    db.commit()
    if service == "kube":
        print(f"# for {args.site}, valid until {aware(session.expires_at):%Y-%m-%d %H:%M} UTC (the session's end)")
        print(kubeconfig(session, port), end="")
        return 0
    ssh = shutil.which("ssh")
    if ssh is None:
        raise AirliftError("There is no ssh client on this host", hint="install openssh-client")
    os.execv(ssh, [ssh, "-p", str(port), "-o", f"HostKeyAlias={args.site}", f"{args.login}@{support.LOOPBACK}"])
