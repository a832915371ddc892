"""The site's side of the hub link, without a hub: the signed envelope (tampering and another
key's signature found), sequence numbers that never repeat, the check-in schedule (jitter,
backoff to a cap, nothing while unlinked), the events a report file carries, the blob inventory
(sent whole only when the hub does not hold it)."""

from __future__ import annotations

import base64
import json
import os
import stat
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from installer.bundle.signature import public_key_of
from installer.errors import AirliftError
from installer.hub_link import document
from installer.hub_link.envelope import (
    EnvelopeError,
    ForgedEnvelope,
    inventory_digest,
    inventory_part,
    open_envelope,
    seal,
    site_id,
)
from installer.hub_link.link import (
    Link,
    ensure_key,
    forget,
    link_status,
    next_seq,
    read_state,
    record_check_in,
    write_link,
)
from installer.hub_link.report_file import report_events, summarise
from installer.hub_link.schedule import CAP_S, CheckInLoop, next_delay
from installer.hub_link.transport import HubRefused, normalise_fingerprint, normalise_url
from installer.statedir import StateDir


def _payload(key: Ed25519PrivateKey, seq: int = 1) -> dict:
    return {**document.header("check-in", site_id(public_key_of(key)), seq, 300), "status": {"condition": "healthy"}}


def test_an_envelope_opens_to_exactly_what_was_sealed():
    key = Ed25519PrivateKey.generate()
    opened = open_envelope(seal(_payload(key, 7), key))
    assert opened.seq == 7 and opened.kind == "check-in" and opened.site == site_id(public_key_of(key))
    assert opened.key == public_key_of(key) and opened.payload["status"] == {"condition": "healthy"}
    assert opened.sent_at() is not None


def test_a_changed_payload_or_another_sites_name_is_refused():
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    doc = json.loads(seal(_payload(key), key))
    inner = json.loads(base64.b64decode(doc["payload"]))
    inner["seq"] = 99
    doc["payload"] = base64.b64encode(json.dumps(inner).encode()).decode()
    with pytest.raises(ForgedEnvelope, match="does not match its contents"):
        open_envelope(json.dumps(doc).encode())
    with pytest.raises(ForgedEnvelope, match="signed by the key of"):
        open_envelope(seal(_payload(key), other))  # names `key`'s site, signed by `other`
    with pytest.raises(EnvelopeError, match="not a signed site document"):
        open_envelope(b'{"payload": 1}')
    bad_kind = {**_payload(key), "kind": "shell"}
    with pytest.raises(EnvelopeError, match="kind 'shell'"):
        open_envelope(seal(bad_kind, key))


def test_sequence_numbers_only_go_up_and_jump_past_the_hubs(tmp_path):
    paths = StateDir(tmp_path)
    assert [next_seq(paths) for _ in range(3)] == [1, 2, 3]
    assert next_seq(paths, at_least=41) == 42
    assert next_seq(paths) == 43
    assert stat.S_IMODE(os.stat(paths.hub_state).st_mode) == 0o600


def test_the_site_key_is_private_and_forgotten_on_disconnect(tmp_path):
    paths = StateDir(tmp_path)
    _, public = ensure_key(paths)
    assert ensure_key(paths)[1] == public  # made once
    assert stat.S_IMODE(os.stat(paths.hub_key).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(paths.hub_link_dir).st_mode) == 0o700
    write_link(paths, Link("https://hub:8443", "ab" * 32, site_id(public), "stable", "2026-01-01T00:00:00+00:00"))
    assert link_status(paths)["site_id"] == site_id(public)
    forget(paths)
    assert not paths.hub_link_dir.exists() and link_status(paths) is None


def test_addresses_and_fingerprints_are_read_as_the_hub_prints_them():
    assert normalise_url("https://hub.example:8443/") == "https://hub.example:8443"
    with pytest.raises(AirliftError, match="not an HTTPS address"):
        normalise_url("http://hub.example")
    assert normalise_fingerprint("SHA256:" + "AB" * 32) == "ab" * 32
    assert normalise_fingerprint(":".join(["AB"] * 32)) == "ab" * 32
    with pytest.raises(AirliftError, match="not a SHA-256"):
        normalise_fingerprint("SHA256:abc")


def test_the_wait_is_the_interval_with_jitter_then_doubles_up_to_a_cap():
    assert next_delay(300, 0, lambda: 0.5) == 300
    assert next_delay(300, 0, lambda: 0.0) == pytest.approx(270) and next_delay(300, 0, lambda: 1.0) == pytest.approx(330)
    assert [next_delay(60, n, lambda: 0.5) for n in range(6)] == [60, 120, 240, 480, 900, 900]
    assert next_delay(60, 1000, lambda: 0.5) == CAP_S
    assert next_delay(3600, 3, lambda: 0.5) == 3600  # an interval above the cap is never shortened


def test_the_loop_checks_in_only_while_linked_and_backs_off_on_failures(tmp_path):
    paths = StateDir(tmp_path)
    outcomes: list[Exception | None] = []

    def check() -> None:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    loop = CheckInLoop(tmp_path, 60, check, rand=lambda: 0.5)
    assert loop.turn() == 5.0  # not linked: nothing sent
    write_link(paths, Link("https://hub", "ab" * 32, "site-x", "stable", "now"))
    outcomes[:] = [AirliftError("down"), HubRefused(503, "busy", {}), None]
    assert [loop.turn(), loop.turn(), loop.turn()] == [120, 240, 60]
    stop = threading.Event()
    stop.set()
    loop.serve(stop)  # returns at once when stopped


def test_a_report_file_carries_what_changed_since_the_last_one():
    first = summarise({"app": {"version": "1.0.0"}, "condition": "healthy", "reasons": [],
                       "operations": [{"id": "op1", "kind": "expand", "node": "n2", "state": "running"}]})
    assert [e["kind"] for e in report_events(None, first)] == ["first-report"]
    later = summarise({"app": {"version": "1.1.0"}, "condition": "degraded", "reasons": ["k3s is down"],
                       "operations": [{"id": "op1", "kind": "expand", "node": "n2", "state": "completed"}]})
    messages = [e["message"] for e in report_events(first, later)]
    assert messages == ["version 1.0.0 -> 1.1.0", "health healthy -> degraded: k3s is down",
                        "operation op1 (expand n2: completed)"]
    assert report_events(later, later) == []


def test_the_inventory_lists_the_blob_store_and_the_registry(tmp_path):
    paths = StateDir(tmp_path)
    (paths.blobs / "sha256").mkdir(parents=True)
    (paths.blobs / "sha256" / ("a" * 64)).write_bytes(b"x")
    (paths.blobs / "sha256" / "not-a-digest").write_bytes(b"x")
    layer = paths.registry_storage / document.REGISTRY_BLOBS / "bb" / ("b" * 64)
    layer.mkdir(parents=True)
    (layer / "data").write_bytes(b"y")
    assert document.inventory(paths) == ["a" * 64, "b" * 64]
    assert document.inventory(StateDir(tmp_path / "none")) == []


def test_the_inventory_is_sent_whole_until_the_hub_holds_it_and_again_once_it_changed(tmp_path):
    paths = StateDir(tmp_path)
    (paths.blobs / "sha256").mkdir(parents=True)
    (paths.blobs / "sha256" / ("a" * 64)).write_bytes(b"x")
    write_link(paths, Link("https://hub:8443", "ab" * 32, "site-1", "stable", "2026-01-01T00:00:00+00:00"))

    def sent() -> dict:
        return inventory_part(document.inventory(paths), read_state(paths).get("inventory_sha256"))

    assert sent()["inventory"] == ["a" * 64]  # the hub holds nothing yet
    record_check_in(paths, True, {"state": "online", "inventory_sha256": sent()["inventory_sha256"]}, None)
    assert sent() == {"inventory_sha256": inventory_digest(["a" * 64])}
    (paths.blobs / "sha256" / ("b" * 64)).write_bytes(b"y")  # an upgrade brought a blob
    assert sent()["inventory"] == ["a" * 64, "b" * 64]
    record_check_in(paths, True, {"state": "online"}, None)  # a hub that names no digest gets it whole
    (paths.blobs / "sha256" / ("b" * 64)).unlink()
    assert sent()["inventory"] == ["a" * 64]
