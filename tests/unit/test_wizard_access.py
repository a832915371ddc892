"""Getting into the wizard: the one-time token, the session cookie, and everything refused without it."""

import pytest

from tests.unit.engine_double import EngineDouble
from wizard import create_app
from wizard.access import COOKIE, Gate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def gate():
    return Gate()


@pytest.fixture
def client(gate):
    app = create_app(EngineDouble(), {"GATE": gate, "STATE_DIR": "/var/lib/airlift-test"})
    return app.test_client()


def session_cookie(response) -> str:
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "="))
    return header


def test_token_is_spent_on_exchange_and_a_fresh_one_is_announced():
    announced = []
    gate = Gate(on_new_token=announced.append)
    first = gate.token
    assert gate.exchange(first)
    assert gate.exchange(first) is None
    assert gate.token != first and announced[-1] == gate.token


def test_wrong_or_empty_token_gives_no_session(gate):
    assert gate.exchange("not-the-token") is None
    assert gate.exchange("") is None


def test_session_expires_after_being_idle():
    clock = Clock()
    gate = Gate(idle_seconds=60, clock=clock)
    session = gate.exchange(gate.token)
    clock.now += 50
    assert gate.admits(session)
    clock.now += 50  # 50 s since last use: still alive
    assert gate.admits(session)
    clock.now += 61
    assert not gate.admits(session)


def test_without_session_every_route_shows_only_the_way_in(client):
    for path in ("/", "/static/js/main.js", "/static/vendor/socket.io.min.js", "/nope"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert b"access link" in response.data
        assert b"/var/lib/airlift-test/wizard/url" in response.data
    api = client.get("/api/snapshot")
    assert api.status_code == 401 and "access link" in api.get_json()["hint"]
    assert client.post("/api/start", json={}).status_code == 401


def test_token_opens_the_wizard_with_a_strict_session_cookie(client, gate):
    response = client.get(f"/?token={gate.token}")
    assert response.status_code == 200
    assert b'id="screen-welcome"' in response.data
    cookie = session_cookie(response)
    for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
        assert attribute in cookie
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert client.get("/api/snapshot").get_json()["bundle"]["name"] == "hello"
    assert client.get("/static/js/main.js").status_code == 200


def test_used_token_is_refused_in_another_browser(gate):
    app = create_app(EngineDouble(), {"GATE": gate})
    first, second = app.test_client(), app.test_client()
    token = gate.token
    assert first.get(f"/?token={token}").status_code == 200
    refused = second.get(f"/?token={token}")
    assert refused.status_code == 401 and b"already been used" in refused.data
    assert second.get("/api/snapshot").status_code == 401
    assert second.get(f"/?token={gate.token}").status_code == 200  # the fresh token lets it in


def test_forged_cookie_is_refused(client):
    client.set_cookie(COOKIE, "forged-session-id")
    assert client.get("/api/snapshot").status_code == 401
    assert client.get("/").status_code == 401


def test_way_in_page_is_styled_without_a_session(client):
    assert client.get("/static/wizard.css").status_code == 200
