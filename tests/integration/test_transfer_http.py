"""Blob server and fetcher over real HTTPS on loopback, each server with its own certificate
pinned by the fetcher: token, ranges, resume, corruption, serving a blob while it still arrives,
a wrong certificate or plain HTTP refused."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from installer.errors import AirliftError
from installer.tls import Certificate, ensure_certificate, ensure_peer_certificate
from installer.transfer import tracker as tracker_mod
from installer.transfer.fetch import Source, fetch_blob
from installer.transfer.pins import PinnedSession, pinned_session
from installer.transfer.server import BlobServer
from installer.transfer.store import BlobStore
from installer.transfer.tracker import Tracker, TrackerClient
from tests.fixtures.net import free_port

pytestmark = pytest.mark.integration

TOKEN = "join-" + "7" * 32
DATA = os.urandom(3 * (1 << 20) + 12345)
HEX = hashlib.sha256(DATA).hexdigest()


def _cert(tmp_path: Path, name: str) -> Certificate:
    """A node's own certificate, as its agent makes it at join."""
    return ensure_peer_certificate(tmp_path / f"{name}-state", "127.0.0.1")


def _serve(store: BlobStore, cert: Certificate, **kw: object) -> BlobServer:
    return BlobServer(store, TOKEN, cert, "127.0.0.1", 0, **kw).start()  # type: ignore[arg-type]


def _source(server: BlobServer) -> Source:
    return Source(server.url_for("127.0.0.1"), server.fingerprint)


@pytest.fixture
def origin(tmp_path: Path) -> Iterator[BlobServer]:
    store = BlobStore(tmp_path / "origin")
    store.path(HEX).write_bytes(DATA)
    server = _serve(store, ensure_certificate(tmp_path / "installer-state", "127.0.0.1"))
    yield server
    server.stop()


class _Fixed:
    """A fixed list of peers, tried in order, recording every outcome."""

    def __init__(self, sources: list[Source]) -> None:
        self.sources = sources
        self.outcomes: list[tuple[str, str]] = []

    def pick(self, exclude: set[str]) -> Source | None:
        return next((s for s in self.sources if s.url not in exclude), None)

    def finished(self, url: str, outcome: str) -> None:
        self.outcomes.append((url, outcome))


def test_range_requests_and_whole_blob(origin: BlobServer) -> None:
    base = origin.url_for("127.0.0.1")
    url = f"{base}/v1/blobs/sha256:{HEX}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    session = pinned_session(base, origin.fingerprint)
    whole = session.get(url, headers=auth, timeout=10)
    assert whole.status_code == 200 and whole.content == DATA
    part = session.get(url, headers={**auth, "Range": "bytes=1000-1999"}, timeout=10)
    assert part.status_code == 206 and part.content == DATA[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(DATA)}"
    beyond = session.get(url, headers={**auth, "Range": f"bytes={len(DATA)}-"}, timeout=10)
    assert beyond.status_code == 416
    missing = session.get(url.replace(HEX, "0" * 64), headers=auth, timeout=10)
    assert missing.status_code == 404


def test_wrong_token_is_refused_and_logged_without_the_token(origin: BlobServer, tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    url = f"{origin.url_for('127.0.0.1')}/v1/blobs/{HEX}"
    session = pinned_session(origin.url_for("127.0.0.1"), origin.fingerprint)
    with caplog.at_level(logging.WARNING, logger="airlift.transfer"):
        assert session.get(url, headers={"Authorization": "Bearer guess"}, timeout=10).status_code == 401
        assert session.get(url, timeout=10).status_code == 401
        with pytest.raises(AirliftError) as err:
            fetch_blob(BlobStore(tmp_path / "n1"), HEX, len(DATA), _Fixed([_source(origin)]), "wrong-token",
                       max_attempts=2)
    assert "refused the join token" in (err.value.details or "")
    refusals = [r for r in caplog.records if "wrong or missing join token" in r.getMessage()]
    assert len(refusals) == 4 and all("127.0.0.1" in r.getMessage() for r in refusals)
    assert "guess" not in caplog.text and "wrong-token" not in caplog.text
    assert not BlobStore(tmp_path / "n1").has(HEX), "nothing is installed from a refused fetch"


def test_corrupted_blob_is_discarded_and_refetched_from_another_peer(origin: BlobServer, tmp_path: Path) -> None:
    liar_store = BlobStore(tmp_path / "liar")
    liar_store.path(HEX).write_bytes(DATA[:-1] + b"\x00")
    liar = _serve(liar_store, _cert(tmp_path, "liar"))
    try:
        sources = _Fixed([_source(liar), _source(origin)])
        store = BlobStore(tmp_path / "n1")
        path = fetch_blob(store, HEX, len(DATA), sources, TOKEN)
    finally:
        liar.stop()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == HEX
    assert [o for _, o in sources.outcomes] == ["bad", "ok"]


def test_corrupted_blob_from_the_only_peer_is_never_installed(tmp_path: Path) -> None:
    liar_store = BlobStore(tmp_path / "liar")
    liar_store.path(HEX).write_bytes(b"x" * len(DATA))
    liar = _serve(liar_store, _cert(tmp_path, "liar"))
    store = BlobStore(tmp_path / "n1")
    try:
        with pytest.raises(AirliftError, match=f"No peer delivered blob sha256:{HEX}") as err:
            fetch_blob(store, HEX, len(DATA), _Fixed([_source(liar)]), TOKEN)
    finally:
        liar.stop()
    assert "discarded" in (err.value.details or "")
    assert not store.has(HEX) and not store.partial_path(HEX).exists()


class _DyingPeer(BaseHTTPRequestHandler):
    """Sends half of the blob then hangs up; on the next request honours Range."""

    protocol_version = "HTTP/1.1"
    ranges: list[str | None] = []

    def log_message(self, *args: object) -> None:
        return

    def do_GET(self) -> None:
        rng = self.headers.get("Range")
        self.ranges.append(rng)
        start = int(rng.split("=")[1].rstrip("-")) if rng else 0
        self.send_response(206 if rng else 200)
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{len(DATA) - 1}/{len(DATA)}")
        self.send_header("Content-Length", str(len(DATA) - start))
        self.end_headers()
        if len(self.ranges) == 1:
            self.wfile.write(DATA[: len(DATA) // 2])
            self.close_connection = True
            return
        self.wfile.write(DATA[start:])


def test_interrupted_transfer_resumes_from_its_byte_offset(tmp_path: Path) -> None:
    _DyingPeer.ranges = []
    cert = _cert(tmp_path, "dying")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _DyingPeer)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert.cert_path, cert.key_path)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    seen: list[int] = []
    try:
        store = BlobStore(tmp_path / "n1")
        dying = Source(f"https://127.0.0.1:{httpd.server_address[1]}", cert.fingerprint)
        fetch_blob(store, HEX, len(DATA), _Fixed([dying]), TOKEN, progress=lambda done, total: seen.append(done))
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert _DyingPeer.ranges == [None, f"bytes={len(DATA) // 2}-"]
    assert seen == sorted(seen) and seen[-1] == len(DATA), "progress never goes backwards"
    assert store.path(HEX).read_bytes() == DATA


def test_a_blob_is_relayed_while_it_still_arrives(tmp_path: Path) -> None:
    relay_store = BlobStore(tmp_path / "relay")
    relay_store.begin(HEX, len(DATA))
    relay_store.partial_path(HEX).write_bytes(DATA[:1000])
    relay = _serve(relay_store, _cert(tmp_path, "relay"))

    def arrive() -> None:
        time.sleep(0.3)
        with open(relay_store.partial_path(HEX), "ab") as f:
            f.write(DATA[1000:])
        relay_store.grew()
        relay_store.commit(HEX)

    threading.Thread(target=arrive).start()
    started = time.monotonic()
    try:
        path = fetch_blob(BlobStore(tmp_path / "n2"), HEX, len(DATA), _Fixed([_source(relay)]), TOKEN,
                          max_attempts=1)
    finally:
        relay.stop()
    assert path.read_bytes() == DATA and time.monotonic() - started < 5


def test_only_https_with_the_pinned_certificate_reaches_a_blob(origin: BlobServer, tmp_path: Path) -> None:
    """The product's one path: a node's fetch pins the certificate the tracker named; another
    certificate fails before the token is sent, plain HTTP gets no answer, an unpinned URL is
    never tried."""
    url = origin.url_for("127.0.0.1")
    assert url.startswith("https://")
    path = fetch_blob(BlobStore(tmp_path / "n1"), HEX, len(DATA), _Fixed([_source(origin)]), TOKEN)
    assert path.read_bytes() == DATA

    impostor = Source(url, _cert(tmp_path, "impostor").fingerprint)
    store = BlobStore(tmp_path / "n2")
    with pytest.raises(AirliftError) as err:
        fetch_blob(store, HEX, len(DATA), _Fixed([impostor]), TOKEN, max_attempts=1)
    assert "not the pinned" in (err.value.details or "") and not store.has(HEX)

    with socket.create_connection(("127.0.0.1", origin.port), timeout=5) as plain:
        plain.sendall(f"GET /v1/blobs/{HEX} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode())
        answer = plain.recv(65536)
    assert DATA[:64] not in answer and b"200 OK" not in answer
    with pytest.raises(requests.exceptions.InvalidURL, match="no pinned certificate"):
        PinnedSession().get(f"{url}/v1/blobs/{HEX}", timeout=5)
    with pytest.raises(requests.exceptions.InvalidURL, match="HTTPS and a fingerprint are required"):
        PinnedSession().pin(url.replace("https://", "http://"), origin.fingerprint)


def test_a_bad_leftover_partial_is_not_blamed_on_the_peer_that_completes_it(origin: BlobServer,
                                                                             tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "n1")
    store.partial_path(HEX).write_bytes(b"\0" * 5000)  # left by an earlier run, wrong bytes
    sources = _Fixed([_source(origin)])
    path = fetch_blob(store, HEX, len(DATA), sources, TOKEN)
    assert path.read_bytes() == DATA
    assert [o for _, o in sources.outcomes] == ["failed", "ok"], "starts over, does not drop the peer"


def test_the_tracker_is_waited_for_while_unreachable_then_named(tmp_path: Path, monkeypatch) -> None:
    """A node whose link to the installer drops for a moment carries on once it is back; one that
    stays cut off gets an error naming the tracker after UNREACHABLE_FOR_S."""
    port = free_port()
    cert = ensure_certificate(tmp_path / "installer-state", "127.0.0.1")
    client = TrackerClient(f"https://127.0.0.1:{port}", TOKEN, cert.fingerprint, timeout=2)
    later: list[BlobServer] = []
    threading.Timer(1.5, lambda: later.append(BlobServer(BlobStore(tmp_path / "t"), TOKEN, cert, "127.0.0.1", port,
                                                         tracker=Tracker({}.get)).start())).start()
    try:
        answer = client.announce("node-2", "https://127.0.0.1:1", [f"sha256:{HEX}"])
        assert later, "answered before the tracker was up?"
        assert answer == {"ok": True}
        impostor = TrackerClient(f"https://127.0.0.1:{port}", TOKEN, _cert(tmp_path, "other").fingerprint)
        with pytest.raises(AirliftError, match="shows another certificate than the one this node pinned"):
            impostor.announce("node-2", "https://127.0.0.1:1", [])
    finally:
        for server in later:
            server.stop()
    monkeypatch.setattr(tracker_mod, "UNREACHABLE_FOR_S", 1.0)
    cut_off = TrackerClient(f"https://127.0.0.1:{port}", TOKEN, cert.fingerprint, timeout=2)
    with pytest.raises(AirliftError, match=rf"Cannot reach the installer's blob tracker at https://127.0.0.1:{port} "
                                           r"\(tried for 1s\)"):
        cut_off.complete("node-2", "https://127.0.0.1:1", f"sha256:{HEX}")


def test_two_fetchers_of_one_blob_take_turns(origin: BlobServer, tmp_path: Path) -> None:
    """A second fetch of a blob already arriving (another agent on the node, another thread) waits
    for the first, then finds it committed intact: appending to the same partial file, the two
    committed a mix of both streams under the blob's name."""
    root = tmp_path / "n1"
    second: list[object] = []

    def fetch_again() -> None:
        try:
            second.append(fetch_blob(BlobStore(root), HEX, len(DATA), _Fixed([_source(origin)]), TOKEN))
        except Exception as exc:  # shown by the assertion below
            second.append(exc)

    late = threading.Thread(target=fetch_again)

    def progress(done: int, total: int) -> None:
        if late.ident is None:  # the first bytes are in: the second fetch starts while this one pauses
            late.start()
            time.sleep(0.5)

    path = fetch_blob(BlobStore(root), HEX, len(DATA), _Fixed([_source(origin)]), TOKEN, progress=progress)
    late.join(timeout=30)
    assert second == [path]
    assert path.read_bytes() == DATA
    assert not BlobStore(root).partial_path(HEX).exists()
    assert list((root / "locks").iterdir()) == []  # no lock file kept for a blob in place


def test_a_verified_blob_is_committed_even_when_the_tracker_cannot_be_told(origin: BlobServer,
                                                                          tmp_path: Path) -> None:
    """The node's link to the installer drops as the last bytes arrive: the blob is in the store
    all the same, so running the step again does not fetch it again."""
    class _TrackerGone(_Fixed):
        def finished(self, url: str, outcome: str) -> None:
            if outcome == "ok":
                raise AirliftError("Cannot reach the installer's blob tracker")

    store = BlobStore(tmp_path / "n1")
    with pytest.raises(AirliftError, match="Cannot reach the installer's blob tracker"):
        fetch_blob(store, HEX, len(DATA), _TrackerGone([_source(origin)]), TOKEN)
    assert store.path(HEX).read_bytes() == DATA and not store.partial_path(HEX).exists()


def test_a_partial_holding_every_byte_is_checked_not_fetched_again(origin: BlobServer, tmp_path: Path) -> None:
    """A fetcher stopped between the last byte and the commit: the next run commits that partial
    (no peer can send bytes past its end), or starts over when its sha256 is wrong."""
    store = BlobStore(tmp_path / "n1")
    store.partial_path(HEX).write_bytes(DATA)
    sources = _Fixed([_source(origin)])
    assert fetch_blob(store, HEX, len(DATA), sources, TOKEN).read_bytes() == DATA
    assert [o for _, o in sources.outcomes] == ["ok"]

    store = BlobStore(tmp_path / "n2")
    store.partial_path(HEX).write_bytes(b"x" * len(DATA))
    sources = _Fixed([_source(origin)])
    assert fetch_blob(store, HEX, len(DATA), sources, TOKEN).read_bytes() == DATA
    assert [o for _, o in sources.outcomes] == ["failed", "ok"]
