"""One node's part in distribution: serve its store, fetch what it lacks, tell the tracker.

The installer runs a Peer that hosts the tracker and holds every blob; each other node runs a
Peer that talks to the tracker over HTTPS. A Peer keeps serving after its own fetches finish,
because nodes further down the relay chain may still be reading from it.

`python -m installer.transfer.peer` runs one Peer as its own process (the distribution bench and
the network-namespace tests start one per namespace), with its own certificate in `--tls-dir`: it
prints a JSON "ready" line with its URL and fingerprint; on stdin, "pin NODE FINGERPRINT" tells the
tracker it hosts a node's fingerprint (what an agent's join does for the installer), "go" fetches
and prints a JSON "done" line; it serves until stdin closes.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

from installer.errors import AirliftError
from installer.tls import Certificate, ensure_peer_certificate
from installer.transfer.fetch import Source, fetch_blob
from installer.transfer.pins import PinnedConnections
from installer.transfer.server import BlobServer
from installer.transfer.store import BlobStore, normalize_digest
from installer.transfer.tracker import Tracker, TrackerClient

Progress = Callable[[int, int], None]


class TrackerSources:
    """Sources for one blob, chosen by the tracker; reports every outcome back to it."""

    def __init__(self, tracker: Tracker | TrackerClient, node: str, url: str, digest: str,
                 max_wait: float = 60.0) -> None:
        self.tracker, self.node, self.url, self.digest = tracker, node, url, digest
        self.max_wait = max_wait
        self.discarded = 0
        self.delivered_by: str | None = None

    def pick(self, exclude: set[str]) -> Source | None:
        started = time.monotonic()
        while (waited := time.monotonic() - started) < self.max_wait:
            answer = self.tracker.assign(self.node, self.url, self.digest, sorted(exclude), waited)
            if "retry" not in answer:
                return Source(answer["source"], answer["fingerprint"]) if answer.get("source") else None
            time.sleep(float(answer["retry"]))
        return None

    def finished(self, url: str, outcome: str) -> None:
        if outcome == "ok":
            self.delivered_by = url
            self.tracker.complete(self.node, self.url, self.digest)
        else:
            self.discarded += outcome == "bad"
            self.tracker.release(self.node, self.url, self.digest, bad=outcome == "bad")


class Peer:
    """Node `node`: serves `store` with `cert` on `listen`:`port`, reachable by others at `advertise`."""

    def __init__(self, node: str, store: BlobStore, token: str, tracker: Tracker | TrackerClient,
                 advertise: str, cert: Certificate, listen: str = "0.0.0.0", port: int = 0) -> None:
        self.node, self.store, self.token, self.tracker = node, store, token, tracker
        hosted = tracker if isinstance(tracker, Tracker) else None
        self.server = BlobServer(store, token, cert, listen, port, tracker=hosted)
        self.url = self.server.url_for(advertise)
        self.connections = PinnedConnections()
        self.resumed_bytes = 0
        self.discarded = 0
        self.delivered_by: dict[str, str] = {}

    def start(self) -> Peer:
        """Serve, and tell the tracker which blobs this node already holds."""
        self.server.start()
        self.tracker.announce(self.node, self.url, self.store.digests())
        return self

    def fetch_all(self, blobs: list[tuple[str, int]], progress: Progress | None = None) -> None:
        """Fetch every (digest, size) this node lacks, in the given order (every node uses the
        same order, which keeps the relay chain intact); `progress(done, total)` in bytes.
        Records which peer delivered each blob, what was resumed from partial files and how many
        corrupted copies were discarded."""
        total = sum(size for _, size in blobs)
        done = 0
        for digest, size in blobs:
            sources = TrackerSources(self.tracker, self.node, self.url, digest)
            partial = self.store.partial_path(digest)
            self.resumed_bytes += partial.stat().st_size if partial.exists() else 0
            try:
                fetch_blob(self.store, digest, size, sources, self.token, _shifted(progress, done, total),
                           self.connections)
            finally:
                self.discarded += sources.discarded
            if sources.delivered_by:
                self.delivered_by[digest] = sources.delivered_by
            done += size

    def stop(self) -> None:
        self.server.stop()
        self.connections.close()


def _shifted(progress: Progress | None, base: int, total: int) -> Progress | None:
    """One blob's progress reported as part of the node's whole."""
    if progress is None:
        return None
    report = progress
    return lambda done, _size: report(base + done, total)


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m installer.transfer.peer", description=__doc__.split("\n")[0])
    p.add_argument("--node", required=True)
    p.add_argument("--store", type=Path, required=True)
    p.add_argument("--token-file", type=Path, required=True)
    p.add_argument("--tls-dir", type=Path, required=True, help="folder of this node's certificate (made if missing)")
    p.add_argument("--advertise", required=True, help="address the other nodes reach this one at")
    p.add_argument("--listen", default="0.0.0.0")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tracker", help="tracker base URL; omit to host the tracker here")
    p.add_argument("--tracker-fingerprint", help="the certificate fingerprint of the node hosting the tracker")
    p.add_argument("--want", type=Path, help='JSON list of ["sha256:...", size] to fetch on "go"')
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    try:
        return _run(args)
    except AirliftError as exc:
        _say(event="failed", node=args.node, error=exc.render())
        return 2


def _run(args: argparse.Namespace) -> int:
    token = args.token_file.read_text().strip()
    cert = ensure_peer_certificate(args.tls_dir, args.advertise)
    pins = {args.node: cert.fingerprint}
    tracker: Tracker | TrackerClient = (TrackerClient(args.tracker, token, args.tracker_fingerprint or "")
                                        if args.tracker else Tracker(pins.get))
    want = [(normalize_digest(d), int(s)) for d, s in json.loads(args.want.read_text())] if args.want else []
    peer = Peer(args.node, BlobStore(args.store), token, tracker, args.advertise, cert, args.listen, args.port)
    peer.start()
    _say(event="ready", node=args.node, url=peer.url, fingerprint=cert.fingerprint)
    for line in sys.stdin:
        words = line.split()
        if len(words) == 3 and words[0] == "pin":
            pins[words[1]] = words[2]
        elif words == ["go"]:
            started = time.monotonic()
            peer.fetch_all(want)
            _say(event="done", node=args.node, seconds=round(time.monotonic() - started, 3),
                 bytes=sum(s for _, s in want), resumed_bytes=peer.resumed_bytes, discarded=peer.discarded,
                 delivered_by=peer.delivered_by)
    peer.stop()
    return 0


def _say(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


if __name__ == "__main__":
    sys.exit(main())
