"""`./install update download`: the next release from the hub into the state directory, ready
for `cd <folder> && ./install upgrade` — the same operator-approved upgrade as a carried-in bundle.

A check-in first (the hub then knows the release the site runs), then a signed `download`
document asks for the plan (hub/site_updates.py): the release to install next — the newest on
the site's channel, or a required one on the way, which may not be skipped — and its bundles.
The differential bundle against the installed release is taken when the hub has one and the
site may install it (update_choice.py), else the full one; it is fetched with resume (fetch.py),
each request signed anew, then checked and unpacked (unpack.py). Nothing is ever upgraded here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests

from installer.bundle.index import INDEX_NAME
from installer.errors import AirliftError
from installer.host import Host
from installer.hub_link import document
from installer.hub_link.actions import REPLAY, check_in
from installer.hub_link.envelope import now_iso, seal, signed_header
from installer.hub_link.fetch import Fetched, fetch
from installer.hub_link.link import Link, load_key, locked, next_seq, read_link
from installer.hub_link.transport import HubClient, HubRefused
from installer.hub_link.unpack import unpack_verified
from installer.hub_link.update_choice import Choice, choose
from installer.services import ServiceManager
from installer.signer_pin import load_pin
from installer.statedir import StateDir

Progress = Callable[[int, int], None]
T = TypeVar("T")


@dataclass(frozen=True)
class Downloaded:
    choice: Choice
    folder: Path
    fetched: Fetched | None  # None: it was downloaded before


@dataclass(frozen=True)
class Options:
    out: Path | None = None  # the folder the bundle goes to (default <state>/updates)
    full: bool = False
    allow_other_signer: bool = False


class SignedRequests:
    """Requests signed with the site's key, each with its own sequence number: a number the hub
    passed meanwhile (a check-in sent at the same moment) is moved past and the request sent again."""

    def __init__(self, paths: StateDir, link: Link, interval: int) -> None:
        self.paths, self.link, self.interval = paths, link, interval
        self.private, _ = load_key(paths)
        self.client = HubClient(link.url, link.fingerprint)

    def plan(self) -> dict[str, Any]:
        return self._retry(lambda seq: self.client.post(f"/sites/{self.link.site_id}/downloads",
                                                        self._seal(seq, release=document.installed_release(self.paths))))

    def bundle(self, choice: Choice) -> Callable[[dict[str, str]], requests.Response]:
        def get(headers: dict[str, str]) -> requests.Response:
            return self._retry(lambda seq: self.client.stream(choice.path, headers | {
                "Authorization": signed_header(self._seal(seq, version=choice.version, base=choice.base))}))
        return get

    def _seal(self, seq: int, **fields: Any) -> bytes:
        return seal({**document.header("download", self.link.site_id, seq, self.interval), **fields}, self.private)

    def _retry(self, send: Callable[[int], T]) -> T:
        seq = next_seq(self.paths)
        try:
            return send(seq)
        except HubRefused as e:
            if e.status != REPLAY or not isinstance(e.answer.get("last_seq"), int):
                raise
            return send(next_seq(self.paths, at_least=int(e.answer["last_seq"])))


def plan_next(state_dir: Path, host: Host, services: ServiceManager, interval: int, full: bool = False,
              allow_other_signer: bool = False) -> tuple[SignedRequests, Choice | None]:
    """Check in, then ask the hub what to download; the choice, None when the site is up to date."""
    if read_link(StateDir(state_dir)) is None:
        raise AirliftError("This site is not connected to a hub, so it cannot download updates from one",
                           hint="./install hub connect URL --token T (an offline site: carry the bundle in)")
    check_in(state_dir, host, services, interval)
    return ask_plan(state_dir, interval, full, allow_other_signer)


def ask_plan(state_dir: Path, interval: int, full: bool = False,
             allow_other_signer: bool = False) -> tuple[SignedRequests, Choice | None]:
    """Ask the hub (the site just checked in) what to download."""
    paths = StateDir(state_dir)
    link = read_link(paths)
    if link is None:
        raise AirliftError("This site is no longer connected to a hub", hint="./install hub connect URL --token T")
    requests_ = SignedRequests(paths, link, interval)
    accepts_unsigned = allow_other_signer or load_pin(state_dir) is None
    return requests_, choose(requests_.plan(), full, accepts_unsigned)


def download(state_dir: Path, signed: SignedRequests, choice: Choice, options: Options,
             fetching: Progress | None = None, verifying: Progress | None = None) -> Downloaded:
    """Fetch, check and unpack `choice` into `<out>/<name>-<version>/`; recorded for status."""
    paths = StateDir(state_dir)
    out = options.out or paths.updates
    out.mkdir(parents=True, exist_ok=True, mode=0o755)
    folder = out / f"{choice.application}-{choice.version}"
    if _holds(folder, choice.index_sha256):
        _record(paths, choice, folder)
        return Downloaded(choice, folder, None)
    _refuse_unsigned(choice, state_dir, options.allow_other_signer)
    got = fetch(out / f"{folder.name}.tar", choice.path, choice.size, signed.bundle(choice), fetching)
    unpack_verified(got.path, folder, choice.index_sha256, state_dir, options.allow_other_signer, verifying)
    _record(paths, choice, folder)
    return Downloaded(choice, folder, got)


def _holds(folder: Path, index_sha256: str) -> bool:
    try:
        return hashlib.sha256((folder / INDEX_NAME).read_bytes()).hexdigest() == index_sha256
    except OSError:
        return False


def _refuse_unsigned(choice: Choice, state_dir: Path, allowed: bool) -> None:
    """An unsigned bundle a pinned site would refuse after the download is refused before it."""
    pin = load_pin(state_dir)
    if choice.signed or pin is None or allowed:
        return
    raise AirliftError(f"The hub's {choice.kind} of {choice.application} {choice.version} is not signed, but "
                       f"this site trusts only bundles signed by key {pin.key.key_id}",
                       hint="ask the vendor to publish it signed (build.py --sign); to download it anyway, run the "
                            "command again with --allow-other-signer (the upgrade asks for it again)")


def _record(paths: StateDir, choice: Choice, folder: Path) -> None:
    with locked(paths) as state:
        state["downloaded"] = {"application": choice.application, "version": choice.version,
                               "kind": choice.kind, "folder": str(folder), "at": now_iso(),
                               "required": choice.required}
