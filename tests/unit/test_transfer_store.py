"""BlobStore: what a server may serve, what a fetcher resumes from, and what survives a discard."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest

from installer.errors import AirliftError
from installer.transfer.store import BlobStore, normalize_digest

DATA = b"airlift blob " * 1000
HEX = hashlib.sha256(DATA).hexdigest()


def test_digest_forms_and_refusals() -> None:
    assert normalize_digest(f"sha256:{HEX}") == HEX == normalize_digest(HEX)
    for bad in ("sha256:../../etc/passwd", HEX.upper(), HEX[:-1], f"md5:{HEX}"):
        with pytest.raises(AirliftError, match="Not a sha256 digest"):
            normalize_digest(bad)


def test_unknown_blob_has_no_state(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    assert store.state(HEX) is None and store.open(HEX) is None and not store.has(HEX)


def test_partial_resumes_from_its_length_and_is_served_while_arriving(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    assert store.begin(HEX, len(DATA)) == 0
    store.partial_path(HEX).write_bytes(DATA[:100])
    st = store.state(HEX)
    assert st is not None and (st.available, st.size, st.complete) == (100, len(DATA), False)
    store.abandon(HEX)
    assert store.state(HEX) is None, "an abandoned partial is not served"
    assert store.begin(HEX, len(DATA)) == 100, "the next fetch resumes at byte 100"


def test_partial_longer_than_the_blob_starts_over(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    store.partial_path(HEX).write_bytes(DATA + b"extra")
    assert store.begin(HEX, len(DATA)) == 0


def test_commit_makes_it_complete(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    store.begin(HEX, len(DATA))
    store.partial_path(HEX).write_bytes(DATA)
    store.commit(HEX)
    st = store.state(HEX)
    assert st is not None and st.complete and st.path == store.path(HEX)
    assert store.digests() == [HEX]


def test_waiter_wakes_on_growth_and_sees_a_discard(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    store.begin(HEX, len(DATA))
    gen = store.state(HEX).generation

    def grow() -> None:
        time.sleep(0.05)
        store.partial_path(HEX).write_bytes(DATA[:10])
        store.grew()

    threading.Thread(target=grow).start()
    started = time.monotonic()
    st = store.wait_for(HEX, 0, gen, timeout=5)
    assert st is not None and st.available == 10 and time.monotonic() - started < 2
    threading.Timer(0.05, store.discard, args=(HEX,)).start()
    st = store.wait_for(HEX, 10, gen, timeout=5)
    assert st is not None and st.generation != gen, "a streaming server must notice the discard"


def test_adopt_hard_links_a_bundle_file(tmp_path: Path) -> None:
    source = tmp_path / "bundle-file"
    source.write_bytes(DATA)
    store = BlobStore(tmp_path / "store")
    store.adopt(HEX, source)
    assert store.path(HEX).read_bytes() == DATA
    assert os.stat(source).st_ino == os.stat(store.path(HEX)).st_ino
