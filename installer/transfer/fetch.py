"""Fetch one blob from whichever peer has it: resume by byte range, verify sha256 on arrival.

Why the partial file is hashed as it is written: a resumed transfer hashes only the bytes it
already has once, then the new bytes as they come, so no blob is ever read back. A blob whose
sha256 does not match is discarded, never committed, and fetched again from another peer.
"""

from __future__ import annotations

import hashlib
import http.client
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol
from urllib.parse import urlsplit

from installer.errors import AirliftError
from installer.transfer.pins import PinnedConnections
from installer.transfer.store import BlobStore, normalize_digest

CHUNK = 1 << 20
# Bytes read into one reused buffer before writing and waking the servers relaying this blob:
# fewer, larger writes and no allocation per TLS record (less CPU per byte) at the cost of a few
# milliseconds of latency per hop.
BATCH = 256 << 10
Progress = Callable[[int, int], None]


class Source(NamedTuple):
    """A peer's blob server: its base URL and its certificate's SHA-256 fingerprint."""

    url: str
    fingerprint: str


class Sources(Protocol):
    """Where to fetch one blob from next, and what came of it."""

    def pick(self, exclude: set[str]) -> Source | None:
        """A peer whose base URL is not in `exclude`, or None when no other peer has the blob."""

    def finished(self, url: str, outcome: str) -> None:
        """`outcome` of fetching from `url`: "ok", "bad" (wrong sha256) or "failed" (cut off)."""


class _Receiver:
    """The partial file of one blob and the running sha256 of its bytes."""

    def __init__(self, store: BlobStore, hexd: str, size: int) -> None:
        self.store, self.hexd, self.size = store, hexd, size
        self.offset = store.begin(hexd, size)
        self.hasher = hashlib.sha256()
        if self.offset:
            with open(store.partial_path(hexd), "rb") as f:
                while block := f.read(CHUNK):
                    self.hasher.update(block)

    def append(self, f: BinaryIO, data: memoryview, report: Progress) -> None:
        """Write, hash and announce `data`; bytes already received are kept even when the peer is
        cut off, so the next attempt resumes after them."""
        if not data:
            return
        if self.offset + len(data) > self.size:
            raise _Corrupt(f"sent more than the blob's {self.size} bytes")
        f.write(data)
        self.hasher.update(data)
        self.offset += len(data)
        self.store.grew()
        report(self.offset, self.size)

    def restart(self) -> None:
        self.store.discard(self.hexd)
        self.offset = self.store.begin(self.hexd, self.size)
        self.hasher = hashlib.sha256()

    def verified(self) -> bool:
        return self.offset == self.size and self.hasher.hexdigest() == self.hexd


class _PeerError(Exception):
    """A peer could not deliver (cut off, refused, does not have it): try another one."""


class _Corrupt(Exception):
    """A peer sent more bytes than the blob has."""


def fetch_blob(store: BlobStore, digest: str, size: int, sources: Sources, token: str,
               progress: Progress | None = None, connections: PinnedConnections | None = None,
               max_attempts: int = 8) -> Path:
    """Fetch `digest` (`size` bytes) into `store` and return its path, through `connections`
    kept from earlier blobs when given. Raises AirliftError naming the blob and every peer's
    failure when no peer delivers it intact."""
    if connections is None:
        connections = PinnedConnections()
        try:
            return fetch_blob(store, digest, size, sources, token, progress, connections, max_attempts)
        finally:
            connections.close()
    hexd = normalize_digest(digest)
    report = progress or (lambda done, total: None)
    with store.receiving(hexd):  # a fetcher of the same blob in another thread or process goes first
        if store.has(hexd):
            report(size, size)
            return store.path(hexd)
        return _fetch(store, hexd, size, sources, token, report, connections, max_attempts)


def _fetch(store: BlobStore, hexd: str, size: int, sources: Sources, token: str, report: Progress,
           connections: PinnedConnections, max_attempts: int) -> Path:
    """fetch_blob's tries, from one peer after another, while it holds the blob's partial file."""
    rx = _Receiver(store, hexd, size)
    bad: set[str] = set()
    failed: set[str] = set()
    problems: list[str] = []
    try:
        for _ in range(max_attempts):
            source = sources.pick(bad | failed)
            if source is None and failed:
                failed.clear()
                time.sleep(0.5)
                source = sources.pick(bad)
            if source is None:
                break
            outcome = _attempt(connections, source, rx, token, report, problems)
            if outcome == "ok":
                # Committed before the tracker hears of it: a tracker out of reach must not leave a
                # verified blob in the partial folder.
                store.commit(hexd)
            sources.finished(source.url, outcome)
            if outcome == "ok":
                return store.path(hexd)
            (bad if outcome == "bad" else failed).add(source.url)
    finally:
        if not store.has(hexd):
            store.abandon(hexd)
    raise AirliftError(f"No peer delivered blob sha256:{hexd} intact ({size} bytes).",
                       details="\n".join(problems) or "No peer holds this blob.",
                       hint="Check that the other nodes are up and reachable; run the step again to resume.")


def _attempt(connections: PinnedConnections, source: Source, rx: _Receiver, token: str, report: Progress,
             problems: list[str]) -> str:
    """One try from `source`: "ok", "bad" (the peer's bytes are wrong) or "failed"."""
    url = source.url
    resumed_at = rx.offset
    try:
        _download(connections, source, rx, token, report)
    except _Corrupt as exc:
        problems.append(f"{url}: {exc}")
        rx.restart()
        return "bad"
    except (_PeerError, http.client.HTTPException, OSError) as exc:
        problems.append(f"{url}: {str(exc) or type(exc).__name__}")
        return "failed"
    if rx.verified():
        return "ok"
    rx.restart()
    if resumed_at:
        # The earlier bytes may be what was wrong: start over before blaming this peer.
        problems.append(f"{url}: the resumed copy's sha256 is not {rx.hexd}; discarded, starting over")
        return "failed"
    problems.append(f"{url}: sent bytes whose sha256 is not {rx.hexd}; discarded")
    return "bad"


def _download(connections: PinnedConnections, source: Source, rx: _Receiver, token: str,
              report: Progress) -> None:
    """Append the rest of the blob from `source` to the partial file, resuming at rx.offset."""
    if rx.offset == rx.size:
        return  # every byte arrived before the fetcher stopped: only the sha256 check is left
    headers = {"Authorization": f"Bearer {token}"}
    if rx.offset:
        headers["Range"] = f"bytes={rx.offset}-"
    conn, resp = _request(connections, source, f"{urlsplit(source.url).path.rstrip('/')}/v1/blobs/{rx.hexd}",
                          headers)
    try:
        if resp.status == 401:
            raise _PeerError("refused the join token")
        if resp.status not in (200, 206):
            raise _PeerError(f"answered HTTP {resp.status}")
        if resp.status == 200 and rx.offset:
            rx.restart()
        elif resp.status == 206 and not (resp.getheader("Content-Range") or "").startswith(f"bytes {rx.offset}-"):
            raise _PeerError(f"answered an unexpected range {resp.getheader('Content-Range')!r}")
        buffer = memoryview(bytearray(BATCH))
        with open(rx.store.partial_path(rx.hexd), "ab", buffering=0) as f:
            while got := resp.readinto(buffer):
                rx.append(f, buffer[:got], report)
    except BaseException:
        conn.close()
        raise
    if rx.offset < rx.size or resp.will_close:
        conn.close()
    else:
        connections.give_back(source.url, source.fingerprint, conn)
    if rx.offset < rx.size:
        raise _PeerError(f"cut off at byte {rx.offset} of {rx.size}")


def _request(connections: PinnedConnections, source: Source, path: str, headers: dict[str, str]
             ) -> tuple[http.client.HTTPSConnection, http.client.HTTPResponse]:
    """Send the GET on a kept connection, or on a new one when there is none or the peer closed
    the kept one while it was idle."""
    conn, kept = connections.take(source.url, source.fingerprint)
    try:
        conn.request("GET", path, headers=headers)
        return conn, conn.getresponse()
    except (http.client.HTTPException, OSError):
        conn.close()
        if not kept:
            raise
    conn, _ = connections.take(source.url, source.fingerprint)
    try:
        conn.request("GET", path, headers=headers)
        return conn, conn.getresponse()
    except BaseException:
        conn.close()
        raise
