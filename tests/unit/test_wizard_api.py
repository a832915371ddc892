"""The wizard's actions go to the engine: its validation, its refusals, its snapshot."""


from wizard import create_app
from wizard.access import Gate


def test_every_settings_problem_comes_back_with_its_field(client, engine):
    response = client.post("/api/answers", json={"advertise-addr": "10.9.9.9", "pod-cidr": "10.42.0.0/16",
                                                 "service-cidr": "10.42.0.0/24"})
    assert response.status_code == 422
    problems = {p["path"]: p["message"] for p in response.get_json()["problems"]}
    assert "not an address of this host" in problems["advertise-addr"]
    assert "overlaps pod-cidr" in problems["service-cidr"]
    assert engine.snapshot()["answers"]["advertise-addr"] == "192.168.50.10"  # nothing half-applied


def test_cidr_overlapping_the_host_network_is_refused(client):
    response = client.post("/api/answers", json={"pod-cidr": "192.168.0.0/16"})
    assert response.status_code == 422
    assert response.get_json()["problems"][0]["path"] == "pod-cidr"


def test_valid_changes_keep_the_other_answers(client):
    response = client.post("/api/answers", json={"pod-cidr": "10.50.0.0/16"})
    assert response.status_code == 200
    answers = response.get_json()["answers"]
    assert answers["pod-cidr"] == "10.50.0.0/16" and answers["flavor"] == "one"


def test_unknown_flavor_is_named(client):
    response = client.post("/api/answers", json={"flavor": "huge", "profile": None})
    assert response.status_code == 422
    assert "choose one of: one, three, ha" in response.get_json()["problems"][0]["message"]


def test_the_panel_password_goes_to_the_engine_and_never_comes_back(client, engine):
    short = client.post("/api/panel-password", json={"password": "short"})
    assert short.status_code == 422 and "too short" in short.get_json()["error"]
    assert client.post("/api/panel-password", json={"password": 12345678901}).status_code == 400
    chosen = client.post("/api/panel-password", json={"password": "correct horse battery"})
    assert chosen.status_code == 200 and chosen.get_json()["panel"] == {"password_set": True}
    assert engine.panel_password == "correct horse battery"
    assert "correct horse" not in chosen.get_data(as_text=True)


def test_actions_must_be_json(client):
    assert client.post("/api/start", data="x", content_type="text/plain").status_code == 415
    assert client.post("/api/answers", json=["flavor"]).status_code == 400


def test_checks_skip_through_the_answers(client):
    results = client.post("/api/checks", json={}).get_json()["results"]
    assert {r["id"]: r["status"] for r in results} == {"cpu": "pass", "ram": "warn"}
    assert client.post("/api/answers", json={"skip-checks": ["ram"]}).status_code == 200
    results = client.post("/api/checks", json={}).get_json()["results"]
    assert {r["id"]: r["status"] for r in results}["ram"] == "skipped"


def test_start_twice_is_refused_and_runs_once(client, engine):
    first = client.post("/api/start", json={})
    assert first.status_code == 200 and first.get_json()["operation"]["status"] == "running"
    second = client.post("/api/start", json={})
    assert second.status_code == 409
    assert "already running" in second.get_json()["error"]
    assert engine.starts == 1


def test_an_ssh_host_goes_to_the_engine_with_its_secret_apart_from_the_answers(client, engine):
    host = {"address": "10.0.0.7", "port": 2222, "user": "ops", "role": "worker", "fingerprint": "SHA256:abc"}
    shown = client.post("/api/ssh/inspect", json={**host, "auth": "password"})
    assert shown.status_code == 200 and shown.get_json()["fingerprint"].startswith("SHA256:")
    assert client.post("/api/ssh/add", json={**host, "auth": "password", "password": "s3cret"}).status_code == 200
    assert client.post("/api/ssh/add", json={**host, "auth": "key", "key": "/root/.ssh/id", "passphrase": "pp",
                                             "password": "ignored"}).status_code == 200
    node = {"address": "10.0.0.7", "port": 2222, "user": "ops", "role": "worker"}
    assert engine.ssh_added == [({**node, "password": "ask"}, "s3cret", "SHA256:abc"),
                                ({**node, "key": "/root/.ssh/id"}, "pp", "SHA256:abc")]


def test_an_unconfirmed_host_key_or_an_encrypted_key_without_passphrase_is_asked_for(client):
    host = {"address": "10.0.0.7", "auth": "key", "key": "/root/locked"}
    unconfirmed = client.post("/api/ssh/add", json=host)
    assert unconfirmed.status_code == 422 and unconfirmed.get_json()["error"] == "The host key was not confirmed."
    response = client.post("/api/ssh/add", json={**host, "fingerprint": "SHA256:abc"})
    assert response.status_code == 422
    assert response.get_json()["need"] == "passphrase" and "protected by a passphrase" in response.get_json()["error"]


def test_ssh_actions_need_a_session(engine):
    anonymous = create_app(engine, {"GATE": Gate()}).test_client()
    for path in ("/api/ssh/inspect", "/api/ssh/add"):
        assert anonymous.post(path, json={"address": "10.0.0.7", "auth": "password", "password": "x"}).status_code == 401
    assert engine.ssh_added == []
