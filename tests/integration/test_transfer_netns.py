"""Blob distribution between real processes in network namespaces the test creates (a private
bridge and subnet, removed afterwards): relay to several nodes, a peer serving corrupted bytes,
a node killed mid-transfer that resumes, a wrong join token."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.netns_lab import NetnsLab, PeerProcess

pytestmark = pytest.mark.integration  # root, iproute2, tc and iptables: make test provides them

TOKEN = "tx-token-" + "5" * 24


@pytest.fixture(scope="module")
def lab() -> Iterator[NetnsLab]:
    with NetnsLab(4, rate_mbit=80) as lab:
        yield lab


def _blob(seed: int, size: int) -> tuple[str, bytes]:
    data = (hashlib.sha256(str(seed).encode()).digest() * (size // 32 + 1))[:size]
    return hashlib.sha256(data).hexdigest(), data


def _seed(store: Path, blobs: dict[str, bytes]) -> None:
    (store / "sha256").mkdir(parents=True, exist_ok=True)
    for hexd, data in blobs.items():
        (store / "sha256" / hexd).write_bytes(data)


def _files(tmp_path: Path, wanted: dict[str, bytes], token: str = TOKEN) -> tuple[Path, Path]:
    want, token_file = tmp_path / "want.json", tmp_path / f"token-{hashlib.md5(token.encode()).hexdigest()}"
    want.write_text(json.dumps([[f"sha256:{h}", len(d)] for h, d in wanted.items()]))
    token_file.write_text(token)
    return want, token_file


def _assert_holds(store: Path, blobs: dict[str, bytes]) -> None:
    for hexd, data in blobs.items():
        assert (store / "sha256" / hexd).read_bytes() == data
    assert not any((store / "partial").iterdir()), "no partial file may be left once verified"


def test_three_nodes_receive_every_blob_over_the_lan(lab: NetnsLab, tmp_path: Path) -> None:
    blobs = dict(_blob(i, size) for i, size in enumerate([3 << 20, 700_000, 1 << 20]))
    want, token = _files(tmp_path, blobs)
    _seed(tmp_path / "origin", blobs)
    procs = [PeerProcess(lab, 0, tmp_path / "origin", token)]
    try:
        procs += [PeerProcess(lab, i, tmp_path / f"n{i}", token, procs[0], want) for i in (1, 2, 3)]
        for p in procs[1:]:
            p.go()
        events = [p.event(timeout=120) for p in procs[1:]]
    finally:
        for p in procs:
            p.close()
    assert [e["event"] for e in events] == ["done"] * 3
    for i in (1, 2, 3):
        _assert_holds(tmp_path / f"n{i}", blobs)
    served = [url for e in events for url in e["delivered_by"].values()]
    assert served.count(procs[0].url) == len(blobs), "the installer sends each blob once: not a star"


def _wait_for_bytes(path: Path, at_least: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not path.exists() or path.stat().st_size < at_least):
        time.sleep(0.02)
    assert path.exists() and path.stat().st_size >= at_least, f"{path} did not grow"


def test_a_relay_node_that_vanishes_mid_transfer(lab: NetnsLab, tmp_path: Path) -> None:
    hexd, data = _blob(11, 16 << 20)
    want, token = _files(tmp_path, {hexd: data})
    _seed(tmp_path / "origin", {hexd: data})
    origin = PeerProcess(lab, 0, tmp_path / "origin", token)
    procs = [origin]
    try:
        relay = PeerProcess(lab, 1, tmp_path / "n1", token, origin, want)
        procs.append(relay)
        relay.go()
        _wait_for_bytes(tmp_path / "n1" / "partial" / hexd, 2 << 20)
        behind = PeerProcess(lab, 2, tmp_path / "n2", token, origin, want)
        procs.append(behind)
        behind.go()  # the tracker chains it behind the relay, which is still receiving
        _wait_for_bytes(tmp_path / "n2" / "partial" / hexd, 1 << 20)
        os.kill(relay.proc.pid, signal.SIGKILL)
        started = time.monotonic()
        done = behind.event(timeout=60)
        finished_in = time.monotonic() - started
    finally:
        for p in procs:
            p.close()
    assert done["event"] == "done" and done["delivered_by"] == {hexd: origin.url}, done
    assert finished_in < 10, "the rest comes from the installer without a long stall"
    _assert_holds(tmp_path / "n2", {hexd: data})


def test_blob_corrupted_by_a_peer_is_discarded_and_refetched(lab: NetnsLab, tmp_path: Path) -> None:
    hexd, data = _blob(42, 2 << 20)
    want, token = _files(tmp_path, {hexd: data})
    _seed(tmp_path / "liar", {hexd: data[:1000] + b"\xff" + data[1001:]})
    _seed(tmp_path / "good", {hexd: data})
    origin = PeerProcess(lab, 0, tmp_path / "good", token)
    procs = [origin]
    try:
        # The liar holds the blob too, and as the newest idle holder it is offered first.
        procs.append(PeerProcess(lab, 1, tmp_path / "liar", token, origin))
        procs.append(PeerProcess(lab, 2, tmp_path / "n2", token, origin, want))
        procs[2].go()
        done = procs[2].event(timeout=60)
    finally:
        for p in procs:
            p.close()
    assert done["event"] == "done" and done["discarded"] == 1, done
    assert done["delivered_by"] == {hexd: origin.url}
    _assert_holds(tmp_path / "n2", {hexd: data})


def test_node_killed_mid_transfer_resumes_from_its_byte_offset(lab: NetnsLab, tmp_path: Path) -> None:
    hexd, data = _blob(7, 24 << 20)
    want, token = _files(tmp_path, {hexd: data})
    _seed(tmp_path / "origin", {hexd: data})
    partial = tmp_path / "n1" / "partial" / hexd
    origin = PeerProcess(lab, 0, tmp_path / "origin", token)
    try:
        first = PeerProcess(lab, 1, tmp_path / "n1", token, origin, want)
        first.go()
        _wait_for_bytes(partial, 4 << 20)
        os.kill(first.proc.pid, signal.SIGKILL)
        first.close()
        kept = partial.stat().st_size
        assert 0 < kept < len(data), "the kill must land mid-transfer"
        second = PeerProcess(lab, 1, tmp_path / "n1", token, origin, want)
        second.go()
        done = second.event(timeout=60)
        second.close()
    finally:
        origin.close()
    assert done["event"] == "done" and done["resumed_bytes"] == kept, done
    _assert_holds(tmp_path / "n1", {hexd: data})


def test_wrong_token_is_refused_and_logged_without_secrets(lab: NetnsLab, tmp_path: Path) -> None:
    hexd, data = _blob(9, 100_000)
    want, token = _files(tmp_path, {hexd: data})
    _, wrong = _files(tmp_path, {hexd: data}, token="not-the-token-0000")
    _seed(tmp_path / "origin", {hexd: data})
    log = tmp_path / "origin.log"
    origin = PeerProcess(lab, 0, tmp_path / "origin", token, log=log)
    try:
        intruder = PeerProcess(lab, 1, tmp_path / "n1", wrong, origin, want)
        intruder.close()
    finally:
        origin.close()
    assert intruder.ready["event"] == "failed" and "refused the join token" in intruder.ready["error"]
    text = log.read_text()
    assert "wrong or missing join token" in text and lab.address(1) in text
    assert TOKEN not in text and "not-the-token" not in text
    assert not (tmp_path / "n1" / "sha256" / hexd).exists()


def _samples_until_committed(store: Path, hexd: str, timeout: float) -> list[int | None]:
    """The partial file's size sampled every millisecond until the blob is in `store`; None where
    the partial file was missing with the blob not committed either."""
    seen: list[int | None] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not (store / "sha256" / hexd).exists():
        try:
            seen.append((store / "partial" / hexd).stat().st_size)
        except FileNotFoundError:
            if not (store / "sha256" / hexd).exists():  # else committed since the look
                seen.append(None)
        time.sleep(0.001)
    return seen


def test_a_node_cut_off_mid_transfer_resumes_where_it_stopped(lab: NetnsLab, tmp_path: Path) -> None:
    """What the lab's worker sees: its incoming packets dropped and its connections killed (`ss -K`)
    while it receives and relays a blob, then the link back. Its partial file never shrinks, never
    goes missing before the commit, and the blob arrives intact on both nodes."""
    hexd, data = _blob(23, 32 << 20)
    want, token = _files(tmp_path, {hexd: data})
    _seed(tmp_path / "origin", {hexd: data})
    origin = PeerProcess(lab, 0, tmp_path / "origin", token)
    procs = [origin]
    drop = ["iptables", "-w", "INPUT", "-j", "DROP"]
    try:
        procs += [PeerProcess(lab, i, tmp_path / f"n{i}", token, origin, want) for i in (1, 2)]
        for p in procs[1:]:
            p.go()
        _wait_for_bytes(tmp_path / "n1" / "partial" / hexd, 4 << 20)
        assert lab.run(1, [*drop[:2], "-I", *drop[2:]]).returncode == 0
        killed = lab.run(1, ["ss", "-tnK", "dst", f"{lab.address(0).rsplit('.', 1)[0]}.0/24"])
        assert "ESTAB" in killed.stdout, killed
        time.sleep(3)
        stalled = (tmp_path / "n1" / "partial" / hexd).stat().st_size
        assert lab.run(1, [*drop[:2], "-D", *drop[2:]]).returncode == 0
        after = _samples_until_committed(tmp_path / "n1", hexd, 60)
        done = [p.event(timeout=60) for p in procs[1:]]
    finally:
        lab.run(1, [*drop[:2], "-D", *drop[2:]])
        for p in procs:
            p.close()
    assert after and stalled < len(data), "the cut must land mid-transfer"
    assert None not in after, "the partial file went missing before the blob was committed"
    assert all(size is not None and size >= stalled for size in after), f"restarted: {stalled} -> {min(after)}"
    assert [d["event"] for d in done] == ["done", "done"], done
    for i in (1, 2):
        _assert_holds(tmp_path / f"n{i}", {hexd: data})
