"""The event stream: sequence numbers, persistence, replay, redaction, progress throttling."""

import json

from installer.events import Event, EventBus, EventLog, ProgressReporter, redact


def test_log_numbers_events_and_replays_after_a_sequence(tmp_path):
    log = EventLog(tmp_path / "events.jsonl")
    for i in range(3):
        log.append(Event("log", "info", f"line {i}"))
    assert [e.message for e in log.read(1)] == ["line 1", "line 2"]
    again = EventLog(tmp_path / "events.jsonl")  # a new run continues the numbering
    assert again.append(Event("log", "info", "next")).seq == 4


def test_a_torn_last_line_is_ignored(tmp_path):
    path = tmp_path / "events.jsonl"
    EventLog(path).append(Event("log", "info", "whole"))
    with open(path, "a") as f:
        f.write('{"kind": "log", "sta')
    assert [e.message for e in EventLog(path).read(0)] == ["whole"]


def test_secrets_never_reach_a_sink_or_the_log(tmp_path):
    bus = EventBus()
    seen = []
    bus.add_sink(seen.append)
    bus.add_secret("K10abc::server:s3cret")
    bus.attach_log(EventLog(tmp_path / "events.jsonl"))
    bus.emit(Event("log", "info", "joining with K10abc::server:s3cret now", data={"cmd": "x K10abc::server:s3cret"}))
    bus.emit(Event("node", "info", "agent", data={"join_token": "abc", "nested": {"password": "p"}}))
    text = (tmp_path / "events.jsonl").read_text()
    assert "s3cret" not in text and '"abc"' not in text and '"p"' not in text
    assert "K10abc" not in seen[0].message and "***" in seen[0].message
    assert seen[1].data["join_token"] == "***" and seen[1].data["nested"]["password"] == "***"


def test_redact_leaves_other_fields_alone():
    event = redact(Event("progress", "running", "copy", data={"done": 5, "total": 9}), ["tok"])
    assert event.data == {"done": 5, "total": 9}


def test_bus_keeps_events_in_memory_until_the_log_is_attached(tmp_path):
    bus = EventBus()
    bus.log_line("before the state dir exists")
    assert not (tmp_path / "events.jsonl").exists()
    bus.attach_log(EventLog(tmp_path / "events.jsonl"))
    bus.log_line("after")
    lines = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [(d["seq"], d["message"]) for d in lines] == [(1, "before the state dir exists"), (2, "after")]
    assert [e.message for e in bus.since(1)] == ["after"]


def test_progress_is_throttled_never_goes_backwards_and_always_ends_full():
    bus = EventBus()
    seen = []
    bus.add_sink(seen.append)
    report = ProgressReporter(bus, "/registry", "bytes", "copy")
    for done in range(0, 1000, 1):
        report(done, 1000)
    report(10, 1000)
    report(1000, 1000)
    dones = [e.data["done"] for e in seen]
    assert len(seen) < 20
    assert dones == sorted(dones) and dones[-1] == 1000
    assert seen[-1].data == {"done": 1000, "total": 1000, "unit": "bytes"}
