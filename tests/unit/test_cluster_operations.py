"""Day-2 operations: one at a time, each kept in its own folder, its state and events readable
while it runs and after (what `./install remove` polls)."""

import threading

import pytest

from installer.cluster_service.operations import Operations
from installer.errors import AirliftError
from installer.plan import Phase, Plan


def wait_state(ops: Operations, op, state: str) -> tuple:  # noqa: ANN001
    for _ in range(200):
        got = ops.state(op)
        if got[0] == state:
            return got
        threading.Event().wait(0.01)
    return ops.state(op)


def test_an_operation_runs_alone_and_its_events_and_state_are_kept(tmp_path):
    ops = Operations(tmp_path, ["s3cret"])
    gate = threading.Event()

    def work(op, bus):  # noqa: ANN001
        op.store.create(Plan("remove", [Phase("/leave/node-2", "leave")]))
        bus.log_line("draining with s3cret")
        gate.wait(5)
        op.store.record("/leave/node-2", "completed")

    op = ops.begin("remove", "node-2", work)
    assert ops.state(op) == ("running", None)
    with pytest.raises(AirliftError, match=f"Another operation is running: {op.id}"):
        ops.begin("remove", "node-3", work)
    gate.set()
    assert wait_state(ops, op, "completed") == ("completed", None)
    assert [e.message for e in op.events.read(0)] == ["draining with ***"]
    again = Operations(tmp_path, [])  # a restarted cluster service reads the same folder
    assert [o.id for o in again.all()] == [op.id] and again.state(again.get(op.id))[0] == "completed"
    assert (tmp_path / "operations" / op.id / "plan.json").is_file()


def test_a_failed_operation_says_why_and_one_cut_short_says_how_to_go_on(tmp_path):
    ops = Operations(tmp_path, [])

    def fail(op, bus):  # noqa: ANN001
        raise AirliftError("node-2 is gone", hint="bring it back")

    op = ops.begin("remove", "node-2", fail)
    state, error = wait_state(ops, op, "failed")
    assert state == "failed" and error["message"] == "node-2 is gone" and error["hint"] == "bring it back"
    cut = Operations(tmp_path, []).state(op)  # after a restart nothing in memory says why
    assert cut[0] == "failed" and cut[1]["hint"] == "run ./install remove node-2 again"
    with pytest.raises(AirliftError, match="There is no operation nope"):
        ops.get("nope")
