"""The distribution planner: who fetches from whom. A star from the origin is what must not happen."""

from __future__ import annotations

import pytest

from installer.transfer.server import parse_range
from installer.transfer.tracker import COMPLETE, RECEIVING, Tracker

BLOB = "sha256:" + "ab" * 32
ORIGIN = "https://10.0.0.1:1"


def _url(i: int) -> str:
    return f"https://10.0.0.{i + 1}:1"


def _pin(node: str) -> str:
    return f"FP:{node}"


def _from(url: str) -> dict:
    """The assignment of `url` (node-i at _url(i), the origin at ORIGIN) with its fingerprint."""
    node = "origin" if url == ORIGIN else f"node-{int(url.split('.')[-1].split(':')[0]) - 1}"
    return {"source": url, "fingerprint": _pin(node)}


def _tracker() -> Tracker:
    t = Tracker(_pin, grace=2.0)
    t.announce("origin", ORIGIN, [BLOB])
    return t


def test_eight_nodes_form_a_relay_chain_not_a_star() -> None:
    t = _tracker()
    sources = [t.assign(f"node-{i}", _url(i), BLOB) for i in range(1, 9)]
    assert sources == [_from(ORIGIN)] + [_from(_url(i)) for i in range(1, 8)]
    assert t.holders(BLOB)[_url(8)] == RECEIVING


def test_when_every_holder_is_busy_the_node_retries_then_shares_after_grace() -> None:
    t = _tracker()
    assert t.assign("node-1", _url(1), BLOB) == _from(ORIGIN)
    # node-2 cannot use node-1 (it failed to reach it): the origin is busy, so wait a moment ...
    assert "retry" in t.assign("node-2", _url(2), BLOB, exclude=[_url(1)], waited=0.1)
    # ... and share the busy origin once the grace period is over.
    assert t.assign("node-2", _url(2), BLOB, exclude=[_url(1)], waited=2.5) == _from(ORIGIN)


def test_completing_frees_the_upload_slot() -> None:
    t = _tracker()
    t.assign("node-1", _url(1), BLOB)
    t.complete("node-1", _url(1), BLOB)
    assert t.holders(BLOB) == {ORIGIN: COMPLETE, _url(1): COMPLETE}
    assert t.assign("node-2", _url(2), BLOB, exclude=[_url(1)]) == _from(ORIGIN), \
        "the origin's slot must be free again"


def test_a_source_that_sent_bad_bytes_is_never_offered_again() -> None:
    t = _tracker()
    t.announce("node-9", _url(9), [BLOB])
    assert t.assign("node-1", _url(1), BLOB)["source"] == _url(9)
    t.release("node-1", _url(1), BLOB, bad=True)
    assert _url(9) not in t.holders(BLOB)
    assert t.assign("node-1", _url(1), BLOB) == _from(ORIGIN)
    assert t.assign("node-2", _url(2), BLOB, waited=5)["source"] != _url(9)


def test_the_installer_upload_is_kept_for_blobs_only_it_has() -> None:
    t = _tracker()
    for i in (1, 2):
        t.assign(f"node-{i}", _url(i), BLOB)
        t.complete(f"node-{i}", _url(i), BLOB)
    assert t.assign("node-3", _url(3), BLOB) == _from(_url(2)), "an idle peer, not the installer"


def test_no_cycle_when_a_node_loses_its_source() -> None:
    t = _tracker()
    t.assign("node-1", _url(1), BLOB)
    t.assign("node-2", _url(2), BLOB)
    # node-1's source went away; node-2 (fed by node-1) must not be offered to it.
    assert t.assign("node-1", _url(1), BLOB, exclude=[ORIGIN], waited=5) == {"source": None}


def test_nobody_has_it() -> None:
    assert Tracker(_pin).assign("node-1", _url(1), BLOB) == {"source": None}


def test_a_holder_without_a_pinned_certificate_is_never_offered() -> None:
    """Fingerprints come from the installer's list of joined nodes, not from announcements."""
    pins = {"origin": "FP:origin"}
    t = Tracker(pins.get)
    t.announce("origin", ORIGIN, [BLOB])
    t.announce("stranger", _url(9), [BLOB])
    assert t.assign("node-1", _url(1), BLOB) == {"source": ORIGIN, "fingerprint": "FP:origin"}
    t.complete("node-1", _url(1), BLOB)
    assert t.assign("node-2", _url(2), BLOB, waited=5) == {"source": ORIGIN, "fingerprint": "FP:origin"}


def test_http_api_dispatch() -> None:
    t = _tracker()
    assert t.handle("assign", {"node": "n1", "url": _url(1), "blob": BLOB}) == _from(ORIGIN)
    assert t.holders(BLOB)[_url(1)] == RECEIVING
    with pytest.raises(ValueError, match="unknown tracker action"):
        t.handle("steal", {})
    with pytest.raises(KeyError):
        t.handle("assign", {"node": "n1"})


@pytest.mark.parametrize(("header", "expected"), [
    (None, None),
    ("bytes=100-", (100, 1000)),
    ("bytes=0-99", (0, 100)),
    ("bytes=990-5000", (990, 1000)),
    ("bytes=-10", (990, 1000)),
    ("bytes=1-2,5-6", None),
    ("items=1-2", None),
])
def test_range_header(header: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5-2"])
def test_unsatisfiable_range(header: str) -> None:
    with pytest.raises(ValueError):
        parse_range(header, 1000)


def test_a_node_that_comes_back_on_another_port_is_the_same_node() -> None:
    t = _tracker()
    assert t.assign("node-1", _url(1), BLOB) == _from(ORIGIN)
    # node-1 restarts (new port) and asks again: its old assignment is released, not duplicated.
    assert t.assign("node-1", "https://10.0.0.2:2", BLOB) == _from(ORIGIN)
    assert t.holders(BLOB) == {ORIGIN: COMPLETE, "https://10.0.0.2:2": RECEIVING}


def test_a_vanished_relay_does_not_keep_the_installer_busy() -> None:
    t = _tracker()
    t.assign("node-1", _url(1), BLOB)
    assert t.assign("node-2", _url(2), BLOB) == _from(_url(1))
    # node-1 dies: node-2's connection to it fails and node-2 reports it.
    t.release("node-2", _url(2), BLOB)
    assert t.assign("node-2", _url(2), BLOB, exclude=[_url(1)]) == _from(ORIGIN), \
        "no waiting for a slot the dead node still held"
