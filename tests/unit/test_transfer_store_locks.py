"""A node's blob store lets one fetcher at a time receive a blob (installer/transfer/store.py
`receiving`), and does not keep a lock file for every blob it ever received."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

from installer.transfer.store import BlobStore

DATA = b"a layer of an image" * 100
HEX = hashlib.sha256(DATA).hexdigest()


def _put(store: BlobStore) -> None:
    store.begin(HEX, len(DATA))
    store.partial_path(HEX).write_bytes(DATA)
    store.commit(HEX)


def test_the_lock_goes_with_the_blob_in_place_and_is_kept_while_it_is_not(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    with store.receiving(HEX):
        store.begin(HEX, len(DATA))  # the fetch stops half way: the next one resumes under the lock
    assert [p.name for p in (tmp_path / "locks").iterdir()] == [HEX]
    with store.receiving(HEX):
        _put(store)
    assert list((tmp_path / "locks").iterdir()) == []


def test_a_fetcher_that_waited_on_a_removed_lock_still_takes_its_turn(tmp_path: Path) -> None:
    """B waits on the lock file A holds; A puts the blob in place and removes that file; C comes
    next and makes a new one. B, woken on the removed file, must wait for C, not run beside it."""
    store = BlobStore(tmp_path)
    inside: list[str] = []
    overlaps: list[tuple[str, ...]] = []

    def turn(name: str) -> None:
        with store.receiving(HEX):
            inside.append(name)
            if len(inside) > 1:
                overlaps.append(tuple(inside))
            time.sleep(0.3)
            inside.remove(name)

    waiter = threading.Thread(target=turn, args=("B",))
    with store.receiving(HEX):
        waiter.start()
        time.sleep(0.3)  # B has opened the lock file and waits on it
        _put(store)
    turn("C")
    waiter.join(timeout=10)
    assert not waiter.is_alive() and overlaps == []
    assert list((tmp_path / "locks").iterdir()) == []
