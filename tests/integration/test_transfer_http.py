"""Blob server and fetcher over real HTTP(S) on loopback: token, ranges, resume, corruption,
serving a blob while it still arrives."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import logging
import os
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from installer.errors import AirliftError
from installer.transfer import tracker as tracker_mod
from installer.transfer.fetch import PeerList, fetch_blob
from installer.transfer.server import BlobServer
from installer.transfer.store import BlobStore
from installer.transfer.tracker import Tracker, TrackerClient
from tests.fixtures.net import free_port

pytestmark = pytest.mark.integration

TOKEN = "join-" + "7" * 32
DATA = os.urandom(3 * (1 << 20) + 12345)
HEX = hashlib.sha256(DATA).hexdigest()


def _serve(store: BlobStore, **kw: object) -> BlobServer:
    return BlobServer(store, TOKEN, "127.0.0.1", 0, **kw).start()  # type: ignore[arg-type]


@pytest.fixture
def origin(tmp_path: Path) -> Iterator[BlobServer]:
    store = BlobStore(tmp_path / "origin")
    store.path(HEX).write_bytes(DATA)
    server = _serve(store)
    yield server
    server.stop()


class _Recorder(PeerList):
    def __init__(self, urls: list[str]) -> None:
        super().__init__(urls)
        self.outcomes: list[tuple[str, str]] = []

    def finished(self, url: str, outcome: str) -> None:
        self.outcomes.append((url, outcome))


def test_range_requests_and_whole_blob(origin: BlobServer) -> None:
    url = f"{origin.url_for('127.0.0.1')}/v1/blobs/sha256:{HEX}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    whole = requests.get(url, headers=auth, timeout=10)
    assert whole.status_code == 200 and whole.content == DATA
    part = requests.get(url, headers={**auth, "Range": "bytes=1000-1999"}, timeout=10)
    assert part.status_code == 206 and part.content == DATA[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(DATA)}"
    beyond = requests.get(url, headers={**auth, "Range": f"bytes={len(DATA)}-"}, timeout=10)
    assert beyond.status_code == 416
    missing = requests.get(url.replace(HEX, "0" * 64), headers=auth, timeout=10)
    assert missing.status_code == 404


def test_wrong_token_is_refused_and_logged_without_the_token(origin: BlobServer, tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    url = f"{origin.url_for('127.0.0.1')}/v1/blobs/{HEX}"
    with caplog.at_level(logging.WARNING, logger="airlift.transfer"):
        assert requests.get(url, headers={"Authorization": "Bearer guess"}, timeout=10).status_code == 401
        assert requests.get(url, timeout=10).status_code == 401
        with pytest.raises(AirliftError) as err:
            fetch_blob(BlobStore(tmp_path / "n1"), HEX, len(DATA), PeerList([origin.url_for("127.0.0.1")]),
                       "wrong-token", max_attempts=2)
    assert "refused the join token" in (err.value.details or "")
    assert origin.refused == 4
    assert "127.0.0.1" in caplog.text and "wrong or missing join token" in caplog.text
    assert "guess" not in caplog.text and "wrong-token" not in caplog.text
    assert not BlobStore(tmp_path / "n1").has(HEX), "nothing is installed from a refused fetch"


def test_corrupted_blob_is_discarded_and_refetched_from_another_peer(origin: BlobServer, tmp_path: Path) -> None:
    liar_store = BlobStore(tmp_path / "liar")
    liar_store.path(HEX).write_bytes(DATA[:-1] + b"\x00")
    liar = _serve(liar_store)
    try:
        sources = _Recorder([liar.url_for("127.0.0.1"), origin.url_for("127.0.0.1")])
        store = BlobStore(tmp_path / "n1")
        path = fetch_blob(store, HEX, len(DATA), sources, TOKEN)
    finally:
        liar.stop()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == HEX
    assert [o for _, o in sources.outcomes] == ["bad", "ok"]


def test_corrupted_blob_from_the_only_peer_is_never_installed(tmp_path: Path) -> None:
    liar_store = BlobStore(tmp_path / "liar")
    liar_store.path(HEX).write_bytes(b"x" * len(DATA))
    liar = _serve(liar_store)
    store = BlobStore(tmp_path / "n1")
    try:
        with pytest.raises(AirliftError, match=f"No peer delivered blob sha256:{HEX}") as err:
            fetch_blob(store, HEX, len(DATA), PeerList([liar.url_for("127.0.0.1")]), TOKEN)
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
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _DyingPeer)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    seen: list[int] = []
    try:
        store = BlobStore(tmp_path / "n1")
        fetch_blob(store, HEX, len(DATA), PeerList([f"http://127.0.0.1:{httpd.server_address[1]}"]), TOKEN,
                   progress=lambda done, total: seen.append(done))
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
    relay = _serve(relay_store)

    def arrive() -> None:
        time.sleep(0.3)
        with open(relay_store.partial_path(HEX), "ab") as f:
            f.write(DATA[1000:])
        relay_store.grew()
        relay_store.commit(HEX)

    threading.Thread(target=arrive).start()
    started = time.monotonic()
    try:
        path = fetch_blob(BlobStore(tmp_path / "n2"), HEX, len(DATA), PeerList([relay.url_for("127.0.0.1")]),
                          TOKEN, max_attempts=1)
    finally:
        relay.stop()
    assert path.read_bytes() == DATA and time.monotonic() - started < 5


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "airlift-installer")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_with_the_installer_certificate(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    store = BlobStore(tmp_path / "origin")
    store.path(HEX).write_bytes(DATA)
    server = _serve(store, ssl_context=ctx)
    session = requests.Session()
    session.verify = str(cert)
    try:
        url = server.url_for("127.0.0.1")
        assert url.startswith("https://")
        path = fetch_blob(BlobStore(tmp_path / "n1"), HEX, len(DATA), PeerList([url]), TOKEN, session=session)
    finally:
        server.stop()
    assert path.read_bytes() == DATA


def test_a_bad_leftover_partial_is_not_blamed_on_the_peer_that_completes_it(origin: BlobServer,
                                                                             tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "n1")
    store.partial_path(HEX).write_bytes(b"\0" * 5000)  # left by an earlier run, wrong bytes
    sources = _Recorder([origin.url_for("127.0.0.1")])
    path = fetch_blob(store, HEX, len(DATA), sources, TOKEN)
    assert path.read_bytes() == DATA
    assert [o for _, o in sources.outcomes] == ["failed", "ok"], "starts over, does not drop the peer"


def test_the_tracker_is_waited_for_while_unreachable_then_named(tmp_path: Path, monkeypatch) -> None:
    """A node whose link to the installer drops for a moment carries on once it is back; one that
    stays cut off gets an error naming the tracker after UNREACHABLE_FOR_S."""
    port = free_port()
    client = TrackerClient(f"http://127.0.0.1:{port}", TOKEN, timeout=2)
    later: list[BlobServer] = []
    threading.Timer(1.5, lambda: later.append(BlobServer(BlobStore(tmp_path / "t"), TOKEN, "127.0.0.1", port,
                                                         tracker=Tracker()).start())).start()
    try:
        answer = client.announce("node-2", "http://127.0.0.1:1", [f"sha256:{HEX}"])
        assert later, "answered before the tracker was up?"
        assert answer is not None
    finally:
        for server in later:
            server.stop()
    monkeypatch.setattr(tracker_mod, "UNREACHABLE_FOR_S", 1.0)
    cut_off = TrackerClient(f"http://127.0.0.1:{port}", TOKEN, timeout=2)
    with pytest.raises(AirliftError, match=rf"Cannot reach the installer's blob tracker at http://127.0.0.1:{port} "
                                           r"\(tried for 1s\)"):
        cut_off.holders(f"sha256:{HEX}")
