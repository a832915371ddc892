"""Socket.IO: events relayed to browsers with a session, everything else refused and logged."""

import logging

import pytest

from installer.events import Event
from tests.unit.engine_double import EngineDouble
from wizard import create_app
from wizard.access import COOKIE, Gate


@pytest.fixture
def setup():
    engine, gate = EngineDouble(), Gate()
    app = create_app(engine, {"GATE": gate})
    return engine, gate, app, app.extensions["socketio"]


def signed_in(app, gate):
    client = app.test_client()
    assert client.get(f"/?token={gate.token}").status_code == 200
    return client


def test_connect_without_session_is_refused_and_logged(setup, caplog):
    _, _, app, socketio = setup
    with caplog.at_level(logging.WARNING, logger="airlift.wizard"):
        sio = socketio.test_client(app, flask_test_client=app.test_client())
    assert not sio.is_connected()
    assert "refused Socket.IO connection" in caplog.text


def test_connect_with_forged_cookie_is_refused(setup):
    _, _, app, socketio = setup
    client = app.test_client()
    client.set_cookie(COOKIE, "made-up")
    assert not socketio.test_client(app, flask_test_client=client).is_connected()


def test_live_events_and_history_reach_a_signed_in_browser(setup):
    engine, gate, app, socketio = setup
    engine.bus.emit(Event("log", "info", "before the browser came"))
    sio = socketio.test_client(app, flask_test_client=signed_in(app, gate))
    assert sio.is_connected()
    history = sio.emit("replay", {"after": 0}, callback=True)
    assert [e["message"] for e in history] == ["before the browser came"]
    engine.bus.emit(Event("phase", "started", "Start the registry", phase="/registry"))
    live = [m["args"][0] for m in sio.get_received() if m["name"] == "event"]
    assert live[-1]["phase"] == "/registry" and live[-1]["seq"] == 2
    assert sio.emit("replay", {"after": 1}, callback=True)[0]["seq"] == 2


def test_events_are_not_sent_to_a_refused_client(setup):
    engine, gate, app, socketio = setup
    signed = socketio.test_client(app, flask_test_client=signed_in(app, gate))
    stranger = socketio.test_client(app, flask_test_client=app.test_client())
    engine.bus.emit(Event("log", "info", "secret-free but private"))
    assert not stranger.is_connected()
    assert any(m["name"] == "event" for m in signed.get_received())


def test_unknown_event_is_refused_and_logged(setup, caplog):
    _, gate, app, socketio = setup
    sio = socketio.test_client(app, flask_test_client=signed_in(app, gate))
    with caplog.at_level(logging.WARNING, logger="airlift.wizard"):
        answer = sio.emit("start_install", {}, callback=True)
    assert "unknown event" in answer["error"]
    assert "refused unknown Socket.IO event 'start_install'" in caplog.text


def test_event_after_the_session_ended_is_refused(caplog):
    now = [0.0]
    engine, gate = EngineDouble(), Gate(idle_seconds=60, clock=lambda: now[0])
    app = create_app(engine, {"GATE": gate})
    sio = app.extensions["socketio"].test_client(app, flask_test_client=signed_in(app, gate))
    assert sio.is_connected()
    now[0] += 120
    with caplog.at_level(logging.WARNING, logger="airlift.wizard"):
        answer = sio.emit("replay", {"after": 0}, callback=True)
    assert answer == {"error": "no wizard session"}
    assert "refused Socket.IO event 'replay'" in caplog.text
    assert not sio.is_connected()
