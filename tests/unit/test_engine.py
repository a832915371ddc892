"""The engine API the CLI and the wizard share: snapshot, answers, refusals, nothing half-done."""

import subprocess
import sys

import pytest

from installer.answers import AnswersError
from installer.bundle import BundleError
from installer.engine import Engine
from installer.errors import AirliftError
from installer.plan import PlanStore, build_install_plan
from installer.statedir import StateDir
from installer.statelock import StateLock
from tests.unit.engine_bundle import make_bundle

# Another process holds a port (a port held by the installer itself is not a conflict).
HOLD_PORT = ("import socket, time; s = socket.socket(); s.bind(('0.0.0.0', 0)); s.listen(); "
             "print(s.getsockname()[1], flush=True); time.sleep(60)")


@pytest.fixture
def bundle(tmp_path):
    return make_bundle(tmp_path / "hello-1.0.0")


@pytest.fixture
def engine(bundle, tmp_path):
    return Engine(bundle, tmp_path / "state", tmp_path / "root")


def test_snapshot_before_anything_shows_the_bundle_and_an_unstarted_plan(engine):
    snap = engine.snapshot()
    assert snap["bundle"]["name"] == "hello" and snap["bundle"]["default_flavor"] == "one"
    assert [f["name"] for f in snap["bundle"]["flavors"]] == ["one", "three", "ha"]
    assert {p["state"] for p in snap["plan"]["phases"]} == {"unstarted"}
    assert snap["operation"]["status"] == "idle" and snap["answers"] == {}


def test_snapshot_offers_the_addresses_other_hosts_reach_this_one_on(engine):
    network = engine.network()
    addresses = engine.snapshot()["network"]["addresses"]
    assert addresses == network.reachable_addresses() and "127.0.0.1" not in addresses
    assert set(addresses) <= network.addresses


def test_set_answers_keeps_nothing_when_any_answer_is_wrong(engine):
    with pytest.raises(AnswersError) as info:
        engine.set_answers({"flavor": "big", "advertise-addr": "203.0.113.99"})
    assert {p.path for p in info.value.problems} == {"flavor", "advertise-addr"}
    assert engine.snapshot()["answers"] == {}
    engine.set_answers({"flavor": "one", "advertise-addr": "127.0.0.1"})
    assert engine.snapshot()["answers"]["profile"] == "master"


def test_a_damaged_bundle_stops_the_start_before_any_change(engine, bundle, tmp_path):
    engine.set_answers({"advertise-addr": "127.0.0.1"})
    data = bytearray((bundle / "resources" / "hello.yaml").read_bytes())
    data[10] ^= 1
    (bundle / "resources" / "hello.yaml").write_bytes(bytes(data))
    with pytest.raises(BundleError) as info:
        engine.start()
    assert "resources/hello.yaml" in info.value.details
    assert not (tmp_path / "state").exists() and not (tmp_path / "root").exists()
    assert engine.snapshot()["operation"]["status"] == "failed"


def test_a_failing_check_stops_the_start_before_any_change(engine, tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_PORT], stdout=subprocess.PIPE, text=True)
    port = int(holder.stdout.readline())
    try:
        engine.set_answers({"advertise-addr": "127.0.0.1", "api-port": port, "accept-eula": True})
        with pytest.raises(AirliftError) as info:
            engine.start()
    finally:
        holder.kill()
        holder.wait()
    assert info.value.exit_code == 1
    assert f"port-tcp-{port}" in info.value.details
    assert not (tmp_path / "state").exists()
    failed = [e for e in engine.events_since(0) if e.kind == "check" and e.status == "fail"]
    assert any(e.data["id"] == f"port-tcp-{port}" for e in failed)


def test_start_refuses_when_an_install_exists(engine, tmp_path):
    PlanStore(tmp_path / "state").create(build_install_plan("n"))
    with pytest.raises(AirliftError) as info:
        engine.start()
    assert "--resume" in info.value.hint


def test_resume_without_a_plan_says_how_to_start(engine):
    with pytest.raises(AirliftError, match="no install to resume"):
        engine.resume()


def test_a_second_installer_on_the_same_state_is_refused(engine, tmp_path):
    state = tmp_path / "state"
    PlanStore(state).create(build_install_plan("n"))
    StateDir(state).answers.write_text("advertise-addr: 127.0.0.1\n")
    with StateLock(state), pytest.raises(AirliftError, match="Another ./install is running"):
        engine.resume()


def test_a_background_start_reports_its_failure_in_the_snapshot_and_events(engine, bundle):
    (bundle / "eula.txt").write_text("changed")
    engine.start(background=True)
    engine.wait(30)
    snap = engine.snapshot()
    assert snap["operation"]["status"] == "failed"
    assert "verification" in snap["operation"]["error"]["message"]
    last = engine.events_since(0)[-1]
    assert (last.kind, last.status) == ("operation", "failed")


def test_snapshot_says_which_events_it_already_reflects(engine):
    """A browser that fetched a snapshot and also received live events must be able to tell
    which is newer; the snapshot carries the newest event's sequence number."""
    before = engine.snapshot()["seq"]
    engine.bus.log_line("something happened")
    assert engine.snapshot()["seq"] == before + 1 == engine.events_since(before)[-1].seq
