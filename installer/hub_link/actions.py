"""Connect, check in, disconnect: each one signed document sent to the hub (API routes in
docs/hub.md), its answer kept in the state directory."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from installer.errors import AirliftError
from installer.host import Host
from installer.hub_link import document
from installer.hub_link.envelope import now_iso, seal, site_id
from installer.hub_link.link import (
    Link,
    ensure_key,
    forget,
    load_key,
    locked,
    next_seq,
    read_link,
    read_state,
    record_check_in,
    write_link,
)
from installer.hub_link.transport import (
    HubClient,
    HubRefused,
    HubUnreachable,
    normalise_url,
    server_fingerprint,
    shown,
)
from installer.services import ServiceManager
from installer.statedir import StateDir

GONE = 410  # the hub disconnected this site
REPLAY = 409  # the sequence number is not above the hub's last one


@dataclass(frozen=True)
class Connected:
    link: Link
    pinned_now: bool  # no --fingerprint was given: the one seen was pinned (trust on first use)
    answer: dict[str, Any]  # the first check-in's


def connect(state_dir: Path, host: Host, services: ServiceManager, url: str, token: str,
            fingerprint: str | None, interval: int) -> Connected:
    """Enroll this site with the hub at `url` using an enroll token, pin its certificate, then
    check in once."""
    paths = StateDir(state_dir)
    linked = read_link(paths)
    if linked is not None:
        raise AirliftError(f"This site is already connected to the hub at {linked.url} as {linked.site_id}",
                           hint="./install hub disconnect first to connect it to another hub")
    url = normalise_url(url)
    seen = server_fingerprint(url)
    if fingerprint is not None and seen != fingerprint:
        raise AirliftError(f"The hub at {url} shows the certificate {shown(seen)}, not the {shown(fingerprint)} "
                           "given with --fingerprint", hint="check the address (another server may be answering "
                           "there) or ask the hub's operator for its fingerprint; nothing was changed")
    private, public = ensure_key(paths)
    site = site_id(public)
    release = document.installed_release(paths)
    body = {**document.header("enroll", site, next_seq(paths), interval), "hostname": socket.gethostname(),
            "application": release["name"] if release else None, "release": release}
    client = HubClient(url, seen)
    try:
        answer = client.post("/sites", seal(body, private), token=token)
    except HubRefused as e:
        raise AirliftError(f"The hub at {url} refused to enroll this site: {e.message}",
                           hint="ask the hub's operator for a new enroll token (python -m hub token create "
                                "--scope enroll)") from None
    link = Link(url, seen, site, str(answer.get("channel") or "stable"), now_iso())
    write_link(paths, link)
    try:
        first = check_in(state_dir, host, services, interval)
    except (HubRefused, HubUnreachable) as e:  # enrolled all the same: the cluster service tries again
        first = {"state": f"enrolled, but the first check-in failed ({e.message}); the cluster service retries"}
    return Connected(link, fingerprint is None, first)


def check_in(state_dir: Path, host: Host, services: ServiceManager, interval: int) -> dict[str, Any]:
    """One signed check-in; the hub's answer {state, update, channel, ...}. A sequence number the
    hub has passed (a state folder restored from a backup) is moved past the hub's and sent once more."""
    paths = StateDir(state_dir)
    link = _link(paths)
    private, _ = load_key(paths)
    with HubClient(link.url, link.fingerprint) as client:  # closed: its TLS session is kept for the next check-in
        seq = next_seq(paths)
        for attempt in (1, 2):
            body = document.payload("check-in", link.site_id, seq, interval, state_dir, host, services,
                                    hub_holds=read_state(paths).get("inventory_sha256"))
            try:
                answer = client.post(f"/sites/{link.site_id}/check-ins", seal(body, private))
            except HubRefused as e:
                if e.status == REPLAY and attempt == 1 and isinstance(e.answer.get("last_seq"), int):
                    seq = next_seq(paths, at_least=int(e.answer["last_seq"]))
                    continue
                _failed(paths, e, gone=e.status == GONE)
                raise
            except HubUnreachable as e:
                _failed(paths, e)
                raise
            record_check_in(paths, True, answer, None)
            return answer
    raise AssertionError("unreachable")  # the loop returns or raises


def disconnect(state_dir: Path, local_only: bool = False) -> str | None:
    """End the link on both sides: the hub marks the site disconnected (and refuses its later
    check-ins), then the key and link are removed here. With `local_only` an unreachable hub does
    not stop the removal. The URL of the hub it was linked to, None when there was no link."""
    paths = StateDir(state_dir)
    link = read_link(paths)
    if link is None:
        if paths.hub_link_dir.exists():
            forget(paths)  # an offline identity (report files only) or what a failed connect left
        return None
    private, _ = load_key(paths)
    body = document.header("disconnect", link.site_id, next_seq(paths), 0)
    try:
        HubClient(link.url, link.fingerprint).post(f"/sites/{link.site_id}/disconnect", seal(body, private))
    except HubRefused as e:
        if e.status != GONE:  # disconnected on the hub already: nothing left to end there
            raise AirliftError(f"The hub at {link.url} refused to disconnect {link.site_id}: {e.message}",
                               hint="nothing was removed here; try again, or --local-only to forget the link "
                                    "on this side alone") from None
    except HubUnreachable as e:
        if not local_only:
            raise AirliftError(e.message, hint="nothing was removed; try again when the hub is reachable, or "
                                               "--local-only to forget the link here (the hub then shows the "
                                               "site stale, then offline)") from None
    forget(paths)
    return link.url


def _link(paths: StateDir) -> Link:
    link = read_link(paths)
    if link is None:
        raise AirliftError("This site is not connected to a hub", hint="./install hub connect URL --token T")
    return link


def _failed(paths: StateDir, error: AirliftError, gone: bool = False) -> None:
    record_check_in(paths, False, None, error.message)
    if gone:
        with locked(paths) as state:
            state["disconnected_by_hub"] = True
