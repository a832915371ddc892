"""Unit-test fixtures.

Unit tests call the entry points (cli.main, build's main) in pytest's own process: those set
SIGINT and SIGTERM handlers for the process (installer/stopping.py), so each test gets pytest's
handlers back afterwards. The wizard API tests share the signed-in client over the engine double.
"""

import signal

import pytest

from tests.unit.engine_double import EngineDouble
from wizard import create_app
from wizard.access import Gate


@pytest.fixture(autouse=True)
def _signal_handlers_restored():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


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
