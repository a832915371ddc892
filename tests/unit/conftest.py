"""Unit tests call the entry points (cli.main, build's main) in pytest's own process: those set
SIGINT and SIGTERM handlers for the process (installer/stopping.py), so each test gets pytest's
handlers back afterwards."""

import signal

import pytest


@pytest.fixture(autouse=True)
def _signal_handlers_restored():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)
