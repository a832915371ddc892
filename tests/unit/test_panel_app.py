"""The control panel's web rules, with Flask's and Flask-SocketIO's test clients: sign-in by
password or one-time link, every other page and action behind a session, POSTs only from the
panel's own origin with the session's CSRF token, wrong passwords slowed down and logged with the
source address, and the screens' JSON drawn from the engine's status and history."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from installer.events import Event, EventLog
from installer.panel_access import hash_password, make_link_token, save_password
from installer.plan import PlanStore, build_install_plan
from installer.report.make import Written
from installer.statedir import StateDir
from panel import create_app, support
from panel.sessions import COOKIE
from panel.site import Site
from panel.throttle import FREE_TRIES, Throttle

BASE = "https://10.0.0.5:32009"
PASSWORD = "correct horse battery"


class SiteDouble(Site):
    """The real state directory for history and sign-in; the status of a healthy one-node site."""

    removed: list[tuple[str, bool]]

    def status(self) -> dict:
        return {"app": {"name": "hello", "version": "1.0.0"},
                "runtime": {"name": "k3s", "version": "v1.30.6+k3s1", "running": True}, "installer": {"version": "0.1.0"},
                "condition": "degraded", "reasons": ["node node-2 Ready: failing"],
                "health": [{"check": "k3s running", "ok": True, "detail": ""}],
                "endpoints": [{"name": "Web", "description": "", "url": "http://10.0.0.5:30080"}],
                "nodes": [{"name": "node-1", "address": "10.0.0.5", "profile": "master", "first": True, "ready": True,
                           "installer_version": "0.1.0", "runtime_version": "v1.30.6+k3s1"}],
                "join": {"worker": "./install join 10.0.0.5 --token T --role worker"}}

    def remove_node(self, node: str, force: bool = False) -> str:
        self.removed.append((node, force))
        return f"remove-{node}-0123abcd"


@pytest.fixture
def site(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    save_password(state, hash_password(PASSWORD))
    plan = build_install_plan("node-1")
    for phase in plan.phases:
        phase.state = "completed"
    PlanStore(state).create(plan)
    EventLog(StateDir(state).events).append(Event("log", "info", "Installed hello 1.0.0", phase="/app"))
    double = SiteDouble(state)
    double.removed = []
    return double


@pytest.fixture
def clock():
    return [100.0]


@pytest.fixture
def app(site, clock):
    return create_app(site, {"THROTTLE": Throttle(lambda: clock[0])})


@pytest.fixture
def client(app):
    return app.test_client()


def sign_in(client, password=PASSWORD, origin=BASE):
    headers = {"Origin": origin} if origin else {}
    return client.post("/signin", base_url=BASE, data={"password": password}, headers=headers)


def csrf_of(client) -> str:
    page = client.get("/", base_url=BASE).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def post(client, path, body=None, csrf=None, origin=BASE):
    headers = {"Origin": origin} if origin else {}
    if csrf:
        headers["X-CSRF-Token"] = csrf
    return client.post(path, base_url=BASE, json=body or {}, headers=headers)


def test_without_a_session_pages_go_to_sign_in_and_the_api_says_401(client):
    assert client.get("/", base_url=BASE).headers["Location"].endswith("/signin")
    assert client.get("/api/overview", base_url=BASE).status_code == 401
    assert client.get("/static/panel/main.js", base_url=BASE).status_code == 303
    page = client.get("/signin", base_url=BASE)
    assert page.status_code == 200 and "Admin password" in page.get_data(as_text=True)
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_right_password_signs_in_with_a_strict_secure_http_only_cookie(client):
    answer = sign_in(client)
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith(COOKIE + "=")
    for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert flag in cookie
    assert client.get("/api/overview", base_url=BASE).status_code == 200


def test_a_wrong_password_is_refused_and_logged_with_the_source_address(client, caplog):
    answer = sign_in(client, "wrong password here")
    assert answer.status_code == 401 and "Wrong password." in answer.get_data(as_text=True)
    assert client.get("/api/overview", base_url=BASE).status_code == 401
    assert "wrong control panel password from 127.0.0.1 (1 in a row)" in caplog.text


def test_ten_wrong_passwords_slow_the_address_down_even_for_the_right_one(client, clock, caplog):
    for _ in range(FREE_TRIES):
        assert sign_in(client, "wrong password here").status_code == 401
    slowed = sign_in(client)
    assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "2"
    assert "Too many wrong passwords" in slowed.get_data(as_text=True)
    assert "further tries from it are slowed down" in caplog.text
    clock[0] += 2
    assert sign_in(client).status_code == 303


def test_a_post_from_another_origin_or_without_one_is_refused(client):
    assert sign_in(client, origin="https://evil.example").status_code == 403
    assert sign_in(client, origin=None).status_code == 403
    assert sign_in(client, origin="http://10.0.0.5:32009").status_code == 403  # plain HTTP is another origin


def test_an_action_needs_the_sessions_csrf_token_and_the_origin(client, site):
    sign_in(client)
    csrf = csrf_of(client)
    assert post(client, "/api/nodes/node-2/remove").status_code == 403
    assert post(client, "/api/nodes/node-2/remove", csrf="not-it").status_code == 403
    assert post(client, "/api/nodes/node-2/remove", csrf=csrf, origin="https://evil.example").status_code == 403
    assert site.removed == []
    answer = post(client, "/api/nodes/node-2/remove", {"force": True}, csrf=csrf)
    assert answer.get_json() == {"id": "remove-node-2-0123abcd"} and site.removed == [("node-2", True)]


def test_a_one_time_link_signs_in_once(client, site):
    token = make_link_token(site.state_dir)
    first = client.get(f"/link?token={token}", base_url=BASE)
    assert first.status_code == 200 and 'name="csrf-token"' in first.get_data(as_text=True)
    assert COOKIE in first.headers["Set-Cookie"]
    again = create_app(site).test_client().get(f"/link?token={token}", base_url=BASE)
    assert again.status_code == 401 and "already used or expired" in again.get_data(as_text=True)


def test_sign_out_ends_the_session(client):
    sign_in(client)
    csrf = csrf_of(client)
    answer = client.post("/signout", base_url=BASE, data={"csrf": csrf}, headers={"Origin": BASE, "Host": "10.0.0.5:32009"})
    assert answer.status_code == 303
    assert client.get("/api/overview", base_url=BASE).status_code == 401


def test_no_password_chosen_refuses_every_password_and_names_panel_link(client, site):
    StateDir(site.state_dir).panel_password.unlink()
    answer = sign_in(client)
    assert answer.status_code == 401 and "./install panel-link" in answer.get_data(as_text=True)


def test_the_screens_json_comes_from_the_status_and_the_history(client):
    sign_in(client)
    overview = client.get("/api/overview", base_url=BASE).get_json()
    assert overview["condition"]["word"] == "degraded" and overview["app"]["name"] == "hello"
    assert overview["alerts"] == {"available": False, "message": "monitoring is not running", "firing": []}
    nodes = client.get("/api/nodes", base_url=BASE).get_json()
    assert nodes["nodes"][0]["name"] == "node-1" and "worker" in nodes["join"]
    ops = client.get("/api/operations", base_url=BASE).get_json()["operations"]
    assert [(o["id"], o["kind"], o["state"]) for o in ops] == [("install", "install", "completed")]
    events = client.get("/api/operations/install?after=0", base_url=BASE).get_json()["events"]
    assert [e["message"] for e in events] == ["Installed hello 1.0.0"]
    assert client.get("/api/operations/nope", base_url=BASE).status_code == 404


def test_charts_say_monitoring_is_not_running_when_prometheus_does_not_answer(client):
    sign_in(client)
    charts = client.get("/api/nodes/node-1/charts", base_url=BASE).get_json()
    assert charts == {"available": False, "message": "monitoring is not running", "series": {}}


def test_the_support_report_is_made_by_the_engine_and_sent_as_a_download(client, site, monkeypatch):
    made: list[Path] = []

    def write_report(host, state_dir, bus, out):
        assert state_dir == site.state_dir and host is site.host and out.is_dir()
        path = out / "airlift-report-node-1-20260101-000000.tar.gz"
        path.write_bytes(b"report bytes")
        made.append(path)
        return Written(path, 12, 0)

    monkeypatch.setattr(support, "write_report", write_report)
    sign_in(client)
    answer = client.get("/api/support/report", base_url=BASE)
    assert answer.status_code == 200 and answer.data == b"report bytes"
    assert answer.headers["Content-Disposition"] == f"attachment; filename={made[0].name}"
    assert answer.mimetype == "application/gzip"
    answer.close()
    assert not made[0].parent.exists()  # the folder goes once the file is sent


def test_a_second_report_is_refused_while_one_is_being_made(client, monkeypatch):
    monkeypatch.setattr(support, "_making", threading.Lock())
    support._making.acquire()
    sign_in(client)
    answer = client.get("/api/support/report", base_url=BASE)
    assert answer.status_code == 409 and answer.get_json()["error"] == "A support report is being made already"


def test_socketio_needs_a_session_and_the_panels_origin(app, client):
    socketio = app.extensions["socketio"]
    outsider = socketio.test_client(app, flask_test_client=app.test_client(), headers={"Origin": BASE, "Host": "10.0.0.5:32009"})
    assert not outsider.is_connected()
    sign_in(client)
    foreign = socketio.test_client(app, flask_test_client=client, headers={"Origin": "https://evil.example", "Host": "10.0.0.5:32009"})
    assert not foreign.is_connected()
    browser = socketio.test_client(app, flask_test_client=client, headers={"Origin": BASE, "Host": "10.0.0.5:32009"})
    assert browser.is_connected()
    assert browser.emit("follow", {"id": "install", "after": 0}, callback=True) == {"following": "install"}


def test_support_screen_opens_and_closes_a_session_with_the_engines_own_calls(client, site):
    from installer.hub_link.link import Link, ensure_key, write_link
    from installer.support.grant import read_grant
    sign_in(client)
    csrf = csrf_of(client)
    assert client.get("/api/support/session", base_url=BASE).json == {"hub": None, "session": None}
    refused = post(client, "/api/support/open", {"allow": "panel", "ttl": "1h"}, csrf=csrf)
    assert refused.status_code == 409 and "not connected to a hub" in refused.json["error"]

    paths = StateDir(site.state_dir)
    ensure_key(paths)
    write_link(paths, Link("https://127.0.0.1:1", "ab" * 32, "site-x", "stable", "2026-01-01T00:00:00+00:00"))
    assert post(client, "/api/support/open", {"allow": "panel,shell", "ttl": "1h"}, csrf=csrf).status_code == 409
    opened = post(client, "/api/support/open", {"allow": "panel", "ttl": "1h"}, csrf=csrf)
    assert opened.status_code == 200 and opened.json["session"]["open"] and opened.json["session"]["allow"] == ["panel"]
    grant = read_grant(paths)
    assert grant.allow == ["panel"] and grant.opened_by.startswith("the control panel")
    again = post(client, "/api/support/open", {"allow": "panel,kube", "ttl": "7d"}, csrf=csrf)
    assert again.status_code == 409 and "open already" in again.json["error"]  # never extended nor widened
    assert post(client, "/api/support/close", {}, csrf=csrf, origin="https://evil.example").status_code == 403

    closed = post(client, "/api/support/close", {}, csrf=csrf)
    assert closed.status_code == 200 and closed.json["closed"] and not closed.json["session"]["open"]
    assert closed.json["hub_not_told"]  # the hub at 127.0.0.1:1 does not answer: said, not retried
    assert read_grant(paths).closed_by.startswith("closed by the control panel")
