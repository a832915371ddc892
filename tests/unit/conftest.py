"""Unit-test fixtures: the signed-in wizard client over the engine double (the wizard API tests)."""

import pytest

from tests.unit.engine_double import EngineDouble
from wizard import create_app
from wizard.access import Gate


@pytest.fixture
def engine():
    engine = EngineDouble()
    engine.set_answers({})
    return engine


@pytest.fixture
def client(engine):
    gate = Gate()
    client = create_app(engine, {"GATE": gate}).test_client()
    assert client.get(f"/?token={gate.token}").status_code == 200
    return client
