"""One handler turns every engine refusal (AirliftError) into the JSON the page reads."""

import logging

import pytest

from installer.answers import AnswersError
from installer.errors import AirliftError
from installer.manifest import Problem
from installer.ssh.session import PassphraseRequired

REFUSAL = AirliftError("The state folder /var/lib/airlift is full", details="0 bytes free",
                       hint="free up space there, then press Retry")
HOST = {"address": "10.0.0.7", "auth": "key", "key": "/root/.ssh/id", "fingerprint": "SHA256:abc"}



def refuse(error: Exception):
    def action(*args, **kwargs):
        raise error
    return action


@pytest.mark.parametrize("method, path, body, status", [
    ("set_answers", "/api/answers", {"pod-cidr": "10.50.0.0/16"}, 422),
    ("run_checks", "/api/checks", {}, 409),
    ("start", "/api/start", {}, 409),
    ("resume", "/api/resume", {}, 409),
    ("inspect_ssh_node", "/api/ssh/inspect", HOST, 422),
    ("add_ssh_node", "/api/ssh/add", HOST, 422),
])
def test_every_action_refuses_in_the_same_shape(client, engine, monkeypatch, method, path, body, status):
    monkeypatch.setattr(engine, method, refuse(REFUSAL))
    response = client.post(path, json=body)
    assert response.status_code == status
    assert response.get_json() == {"error": "The state folder /var/lib/airlift is full", "details": "0 bytes free",
                                   "hint": "free up space there, then press Retry", "problems": []}


def test_answer_problems_come_back_each_with_its_path(client, engine, monkeypatch):
    problems = [Problem("pod-cidr", "overlaps service-cidr"), Problem("api-port", "not a port")]
    monkeypatch.setattr(engine, "set_answers", refuse(AnswersError(problems)))
    body = client.post("/api/answers", json={}).get_json()
    assert body["problems"] == [{"path": "pod-cidr", "message": "overlaps service-cidr"},
                                {"path": "api-port", "message": "not a port"}]
    assert body["error"] and body["hint"]


def test_a_key_that_needs_its_passphrase_says_so(client, engine, monkeypatch):
    monkeypatch.setattr(engine, "add_ssh_node", refuse(PassphraseRequired("SSH key /root/.ssh/id is locked.")))
    response = client.post("/api/ssh/add", json=HOST)
    assert response.status_code == 422 and response.get_json()["need"] == "passphrase"


def test_refusals_are_logged_with_the_action(client, engine, monkeypatch, caplog):
    monkeypatch.setattr(engine, "start", refuse(REFUSAL))
    with caplog.at_level(logging.INFO, logger="airlift.wizard"):
        client.post("/api/start", json={})
    assert "api.start refused: The state folder /var/lib/airlift is full" in caplog.text


def test_a_bug_is_not_dressed_up_as_a_refusal(client, engine, monkeypatch):
    monkeypatch.setattr(engine, "run_checks", refuse(KeyError("facts")))
    response = client.post("/api/checks", json={})
    assert response.status_code == 500 and "error" not in (response.get_json(silent=True) or {})
