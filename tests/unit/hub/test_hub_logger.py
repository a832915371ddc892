"""The hub's gunicorn logs, as an operator reads them."""

from __future__ import annotations

import pytest
from gunicorn.config import Config

from hub.wsgi_server import HubLogger


def _logged(capfd: pytest.CaptureFixture[str], error: Exception) -> str:
    logger = HubLogger(Config())
    try:
        raise error
    except Exception:
        logger.exception("Socket error processing request.")  # what gunicorn says for any OSError
    return capfd.readouterr().err


def test_a_client_dropped_for_its_silence_is_one_line_that_says_so(capfd: pytest.CaptureFixture[str]) -> None:
    logged = _logged(capfd, TimeoutError("The handshake operation timed out"))
    assert "went silent" in logged and "--client-timeout" in logged
    assert "Traceback" not in logged and len(logged.strip().splitlines()) == 1


def test_other_socket_errors_keep_their_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    logged = _logged(capfd, PermissionError("not allowed"))
    assert "Socket error processing request." in logged and "Traceback" in logged
