"""The hub's gunicorn logs, as an operator reads them."""

from __future__ import annotations

import pytest
from gunicorn.config import Config

from hub.wsgi_server import SERVING, HubLogger


def _logged(capfd: pytest.CaptureFixture[str], error: Exception, client: object = ("10.0.0.7", 51234)) -> str:
    logger = HubLogger(Config())
    SERVING.client = client  # as the worker's thread sets it for the connection it serves
    try:
        raise error
    except Exception:
        logger.exception("Socket error processing request.")  # what gunicorn says for any OSError
    return capfd.readouterr().err


def test_a_client_dropped_for_its_silence_is_one_line_that_says_so(capfd: pytest.CaptureFixture[str]) -> None:
    logged = _logged(capfd, TimeoutError("The handshake operation timed out"))
    assert "A client (10.0.0.7:51234) went silent" in logged and "--client-timeout" in logged
    assert "Traceback" not in logged and len(logged.strip().splitlines()) == 1
    assert "A client ([fd00::7]:443) went silent" in _logged(capfd, TimeoutError(), ("fd00::7", 443, 0, 0))


def test_other_socket_errors_keep_their_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    logged = _logged(capfd, PermissionError("not allowed"))
    assert "Socket error processing request." in logged and "Traceback" in logged
