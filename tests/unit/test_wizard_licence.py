"""The wizard's Licence screen posts the file's text to /api/licence; the engine's rules accept it
or refuse it with the reason (422), and the snapshot says whether a licence is required."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from installer.bundle.signature import public_key_of
from installer.licence import new_licence, sign_licence
from tests.unit.engine_double import EngineDouble
from wizard import create_app
from wizard.access import Gate

KEY = Ed25519PrivateKey.generate()
LATER = dt.date.today() + dt.timedelta(days=9)


def licence(key=KEY, max_nodes=3, expires=LATER) -> str:
    return sign_licence(new_licence("Acme", "hello", max_nodes, expires, dt.datetime.now(dt.UTC)), key).decode()


@pytest.fixture
def licensed():
    engine = EngineDouble(licence_key=public_key_of(KEY))
    engine.set_answers({})
    gate = Gate()
    client = create_app(engine, {"GATE": gate}).test_client()
    assert client.get(f"/?token={gate.token}").status_code == 200
    return engine, client


def test_a_good_licence_is_kept_and_shown(licensed):
    engine, client = licensed
    assert engine.snapshot()["licence"] == {"required": True, "key_id": public_key_of(KEY).key_id, "accepted": None}
    response = client.post("/api/licence", json={"licence": licence()})
    assert response.status_code == 200
    accepted = response.get_json()["licence"]["accepted"]
    assert (accepted["customer"], accepted["max_nodes"]) == ("Acme", 3)


@pytest.mark.parametrize(("text", "reason"), [
    (licence(Ed25519PrivateKey.generate()), "not by the licence key"),
    (licence(expires=dt.date(2020, 1, 1)), "it expired on 2020-01-01"),
    ("hello", "is not a licence file Airlift can read"),
])
def test_a_refused_licence_says_why(licensed, text, reason):
    engine, client = licensed
    response = client.post("/api/licence", json={"licence": text})
    assert response.status_code == 422
    assert reason in response.get_json()["error"] and "ask the vendor" in response.get_json()["hint"]
    assert engine.snapshot()["licence"]["accepted"] is None


def test_a_licence_for_fewer_nodes_than_the_chosen_flavor_is_refused(licensed):
    engine, client = licensed
    client.post("/api/answers", json={"flavor": "three", "profile": None})
    response = client.post("/api/licence", json={"licence": licence(max_nodes=1)})
    assert response.status_code == 422
    assert "its max_nodes allows 1 node(s)" in response.get_json()["error"]


def test_the_licence_must_be_text(client):
    assert client.post("/api/licence", json={"licence": 3}).status_code == 400
    assert client.post("/api/licence", json={"licence": "x"}).status_code == 422  # this bundle takes none
