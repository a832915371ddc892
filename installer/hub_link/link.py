"""What the site keeps of its hub link in the state directory (`<state>/hub/`, 0700): its key,
the link, and the state every check-in and report file updates.

One sequence counter serves check-ins, report files and the disconnection: a number is taken
under a file lock and saved before the document leaves, so the cluster service and a command run
at the same moment never sign two documents with the same number, and a crash never reuses one.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from installer.bundle.keypair import write_key_pair
from installer.bundle.signature import KeyFileError, VendorKey, load_private_key, public_key_of
from installer.errors import AirliftError
from installer.hub_link.envelope import now_iso
from installer.state_json import read_json, write_json
from installer.statedir import StateDir

FORMAT = 1


@dataclass(frozen=True)
class Link:
    url: str
    fingerprint: str  # lower-case hex of the hub certificate's SHA-256, pinned at connect
    site_id: str
    channel: str
    connected_at: str


def ensure_key(paths: StateDir) -> tuple[Ed25519PrivateKey, VendorKey]:
    """The site's key, made on first use (0600)."""
    paths.hub_link_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not paths.hub_key.exists():
        write_key_pair(paths.hub_key, "the hub knows this site by it")
    return load_key(paths)


def load_key(paths: StateDir) -> tuple[Ed25519PrivateKey, VendorKey]:
    try:
        private = load_private_key(paths.hub_key, "the site key", "./install hub connect")
    except KeyFileError as e:
        raise AirliftError(f"The site's hub key cannot be used: {e.message}",
                           hint="./install hub disconnect, then ./install hub connect again (a new key)") from None
    return private, public_key_of(private)


def read_link(paths: StateDir) -> Link | None:
    doc = read_json(paths.hub_link, FORMAT)
    if doc is None:
        return None
    return Link(**{k: str(doc[k]) for k in Link.__dataclass_fields__})


def write_link(paths: StateDir, link: Link) -> None:
    write_json(paths.hub_link, asdict(link), FORMAT)


def read_state(paths: StateDir) -> dict[str, Any]:
    return read_json(paths.hub_state, FORMAT) or {"format": FORMAT, "seq": 0}


@contextmanager
def locked(paths: StateDir) -> Iterator[dict[str, Any]]:
    """The state, to change under the lock; saved when the block ends without an error."""
    paths.hub_link_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(paths.hub_lock, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        state = read_state(paths)
        yield state
        write_json(paths.hub_state, state, FORMAT)
    finally:
        os.close(fd)


def next_seq(paths: StateDir, at_least: int = 0) -> int:
    """The next sequence number (above `at_least`), saved before it is used."""
    with locked(paths) as state:
        state["seq"] = max(int(state.get("seq", 0)), at_least) + 1
        return int(state["seq"])


def record_check_in(paths: StateDir, ok: bool, answer: dict[str, Any] | None, error: str | None) -> None:
    """What `./install status` shows: the last check-in's result and the update the hub named."""
    with locked(paths) as state:
        state["last_check_in"] = {"at": now_iso(), "ok": ok, "state": (answer or {}).get("state"), "error": error}
        if ok and answer is not None:
            state["update"] = answer.get("update")
            state["channel"] = answer.get("channel")
            state["inventory_sha256"] = answer.get("inventory_sha256")  # the next check-in sends only its digest
            state.pop("disconnected_by_hub", None)


def forget(paths: StateDir) -> None:
    """Remove the key, the link and the state: the end of the link on this side."""
    shutil.rmtree(paths.hub_link_dir, ignore_errors=True)


def link_status(paths: StateDir) -> dict[str, Any] | None:
    """The hub link as `./install status` shows it, read from the state folder only; None when
    the site is not linked and wrote no report file."""
    link, state = read_link(paths), read_json(paths.hub_state, FORMAT)
    if link is None and state is None:
        return None
    state = state or {}
    return {"url": link.url if link else None, "site_id": link.site_id if link else None,
            "fingerprint": link.fingerprint if link else None, "channel": state.get("channel") or
            (link.channel if link else None), "last_check_in": state.get("last_check_in"),
            "update": state.get("update"), "downloaded": state.get("downloaded"),
            "last_report": state.get("last_report"),
            "disconnected_by_hub": bool(state.get("disconnected_by_hub"))}

