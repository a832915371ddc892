"""Which node has which blob, and from whom a node should fetch the next one.

The policy is the distribution planner: a node asks for a source and gets the holder (complete,
or still receiving) with the fewest uploads in flight, the newest holder among equals. Since a node serves a blob while it is
still arriving, the first node fetches from the origin, the second from the first, and so on: a
relay chain in which every node uploads and downloads at its own line rate, so eight nodes take
about the time of one. When every holder is busy the tracker asks the node to retry shortly (a
free holder usually appears within milliseconds) and only after `grace` seconds shares a busy one.
A holder that served corrupted bytes is dropped for that blob. Assignments never form a cycle.

Each assignment carries the source's certificate fingerprint, which the fetching node pins. The
tracker learns fingerprints from `pins` (the installer's list of joined nodes, filled over the
pinned agent channel), never from what a node announces, and offers no holder it has none for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from installer.errors import AirliftError
from installer.transfer.pins import pinned_session
from installer.transfer.store import normalize_digest

COMPLETE = "complete"
UNREACHABLE_FOR_S = 120.0  # a LAN blip or an installer restart is waited out, not fatal
RECEIVING = "receiving"


class Tracker:
    """In-memory tracker the installer hosts (BlobServer serves it under /v1/tracker/). Nodes are
    known by name, so a node that restarts on another port is the same node, not a new one.
    `pins(node)` is the fingerprint of the node's blob server certificate, None when unknown."""

    def __init__(self, pins: Callable[[str], str | None], grace: float = 2.0, retry_after: float = 0.02) -> None:
        self.pins = pins
        self.grace = grace
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._urls: dict[str, str] = {}
        self._holders: dict[str, dict[str, str]] = {}
        self._load: dict[str, int] = {}
        self._upstream: dict[tuple[str, str], str] = {}

    def announce(self, node: str, url: str, blobs: list[str]) -> dict:
        """`node`, reachable at `url`, holds every blob in `blobs`."""
        with self._lock:
            self._urls[node] = url
            for blob in blobs:
                self._holders.setdefault(normalize_digest(blob), {})[node] = COMPLETE
        return {"ok": True}

    def assign(self, node: str, url: str, blob: str, exclude: list[str] | None = None, waited: float = 0.0) -> dict:
        """Pick the source `node` should fetch `blob` from: {"source": url, "fingerprint": fp} or
        {"retry": seconds} or {"source": None} when nobody has it. `exclude` lists source URLs
        that failed it."""
        hexd = normalize_digest(blob)
        with self._lock:
            self._urls[node] = url
            self._drop_assignment(node, hexd)
            skip = set(exclude or [])
            candidates = [c for c in self._holders.get(hexd, {})
                          if c != node and self._urls[c] not in skip and not self._feeds_from(c, node, hexd)
                          and self.pins(c)]
            if not candidates:
                return {"source": None}
            # Least loaded first; among equals the newest holder, which keeps the installer's
            # upload free for the blobs only it has (the head of the chain).
            best = min(reversed(candidates), key=lambda c: self._load.get(c, 0))
            if self._load.get(best, 0) > 0 and waited < self.grace:
                return {"retry": self.retry_after}
            self._load[best] = self._load.get(best, 0) + 1
            self._upstream[(node, hexd)] = best
            self._holders[hexd].setdefault(node, RECEIVING)
            return {"source": self._urls[best], "fingerprint": self.pins(best)}

    def complete(self, node: str, url: str, blob: str) -> dict:
        """`node` verified `blob`: it now serves it as a complete holder."""
        hexd = normalize_digest(blob)
        with self._lock:
            self._urls[node] = url
            self._drop_assignment(node, hexd)
            self._holders.setdefault(hexd, {})[node] = COMPLETE
        return {"ok": True}

    def release(self, node: str, url: str, blob: str, bad: bool = False) -> dict:
        """`node` stopped fetching `blob` from its source. `bad`: the source sent corrupted bytes,
        so it is no longer offered for that blob. Otherwise the source failed to serve and is
        presumed gone: its own fetches stop holding the upload slots of the nodes feeding it (a
        vanished node must not keep the installer looking busy)."""
        hexd = normalize_digest(blob)
        with self._lock:
            source = self._drop_assignment(node, hexd)
            if source and bad:
                self._holders.get(hexd, {}).pop(source, None)
            elif source:
                for gone_node, gone_blob in [k for k in self._upstream if k[0] == source]:
                    self._drop_assignment(gone_node, gone_blob)
        return {"ok": True}

    def holders(self, blob: str) -> dict[str, str]:
        """url -> "complete" | "receiving" for one blob."""
        with self._lock:
            return {self._urls[n]: st for n, st in self._holders.get(normalize_digest(blob), {}).items()}

    def handle(self, action: str, body: dict[str, Any]) -> dict:
        """Serve one tracker API call (the blob server's /v1/tracker/<action>)."""
        if action == "announce":
            return self.announce(str(body["node"]), str(body["url"]), [str(b) for b in body["blobs"]])
        if action == "assign":
            return self.assign(str(body["node"]), str(body["url"]), str(body["blob"]),
                               [str(e) for e in body.get("exclude", [])], float(body.get("waited", 0)))
        if action == "complete":
            return self.complete(str(body["node"]), str(body["url"]), str(body["blob"]))
        if action == "release":
            return self.release(str(body["node"]), str(body["url"]), str(body["blob"]), bool(body.get("bad")))
        raise ValueError(f"unknown tracker action {action!r}")

    def _drop_assignment(self, node: str, hexd: str) -> str | None:
        source = self._upstream.pop((node, hexd), None)
        if source is not None:
            self._load[source] = max(0, self._load.get(source, 0) - 1)
        return source

    def _feeds_from(self, candidate: str, node: str, hexd: str) -> bool:
        """Whether `candidate` receives `hexd` (directly or down a chain) from `node`."""
        seen = set()
        cur: str | None = candidate
        while cur is not None and cur not in seen:
            if cur == node:
                return True
            seen.add(cur)
            cur = self._upstream.get((cur, hexd))
        return False


class TrackerClient:
    """The tracker API over HTTPS, with the same methods as Tracker (what a remote node uses); the
    installer's certificate must have `fingerprint` (the one the agent pinned)."""

    def __init__(self, base_url: str, token: str, fingerprint: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = pinned_session(self.base_url, fingerprint)
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout

    def announce(self, node: str, url: str, blobs: list[str]) -> dict:
        return self._call("announce", node=node, url=url, blobs=blobs)

    def assign(self, node: str, url: str, blob: str, exclude: list[str] | None = None, waited: float = 0.0) -> dict:
        return self._call("assign", node=node, url=url, blob=blob, exclude=list(exclude or []), waited=waited)

    def complete(self, node: str, url: str, blob: str) -> dict:
        return self._call("complete", node=node, url=url, blob=blob)

    def release(self, node: str, url: str, blob: str, bad: bool = False) -> dict:
        return self._call("release", node=node, url=url, blob=blob, bad=bad)

    def _call(self, action: str, **body: Any) -> dict:
        resp = self._post(action, body)
        if resp.status_code == 401:
            raise AirliftError(f"The installer at {self.base_url} refused the join token.",
                               hint="Use the token the installer printed (./install join ADDR --token T).")
        if resp.status_code != 200:
            raise AirliftError(f"The blob tracker at {self.base_url} answered {resp.status_code} to {action}.",
                               details=resp.text[:500])
        answer: dict = resp.json()
        return answer

    def _post(self, action: str, body: dict) -> requests.Response:
        """POST, trying again for UNREACHABLE_FOR_S while the tracker cannot be reached (every
        tracker action is safe to repeat: assignments are keyed by node and blob)."""
        deadline = time.monotonic() + UNREACHABLE_FOR_S
        pause = 0.5
        while True:
            try:
                return self.session.post(f"{self.base_url}/v1/tracker/{action}", json=body, timeout=self.timeout)
            except requests.RequestException as exc:
                if "Fingerprints did not match" in str(exc):
                    raise AirliftError(f"The installer's blob tracker at {self.base_url} shows another "
                                       "certificate than the one this node pinned when it joined.",
                                       hint="Check that the address is the installer's; run the join "
                                            "command it printed again.", details=str(exc)) from exc
                if time.monotonic() + pause > deadline:
                    raise AirliftError(f"Cannot reach the installer's blob tracker at {self.base_url} "
                                       f"(tried for {UNREACHABLE_FOR_S:.0f}s).",
                                       hint="Check that the installer is running and this node can reach it.",
                                       details=str(exc)) from exc
                time.sleep(pause)
                pause = min(pause * 2, 5.0)
