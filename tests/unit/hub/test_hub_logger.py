"""The hub's gunicorn logs, as an operator reads them."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from pathlib import Path

import pytest
from gunicorn.config import Config

from hub.wsgi_server import HEAD_TIMEOUTS, SERVING, HubLogger, _TimedContext
from installer.tls import ensure_self_signed


def _logged(capfd: pytest.CaptureFixture[str], error: BaseException, client: object = ("10.0.0.7", 51234)) -> str:
    logger = HubLogger(Config())
    SERVING.client = client  # as the worker's thread sets it for the connection it serves
    try:
        raise error
    except BaseException:
        logger.exception("Socket error processing request.")  # what gunicorn says for any OSError
    return capfd.readouterr().err


def _silent_client(tmp_path: Path) -> TimeoutError:
    """What the hub's socket raises when its client sends nothing of its TLS handshake."""
    cert = ensure_self_signed(tmp_path / "hub.crt", tmp_path / "hub.key", "127.0.0.1", "test hub")
    context = _TimedContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert.cert_path, cert.key_path)
    context.client_timeout_s = 0.05
    ours, theirs = socket.socketpair()
    with ours, theirs:
        try:
            context.wrap_socket(ours, server_side=True)
        except TimeoutError as e:
            return e
    raise AssertionError("the handshake with a silent client did not time out")


def _slow_head(tmp_path: Path) -> TimeoutError:
    """What the hub's socket raises when a request's head has not come whole in its time."""
    cert = ensure_self_signed(tmp_path / "hub.crt", tmp_path / "hub.key", "127.0.0.1", "test hub")
    context = _TimedContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert.cert_path, cert.key_path)
    context.client_timeout_s = 0.1
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname, client.verify_mode = False, ssl.CERT_NONE
    ours, theirs = socket.socketpair()
    with ours, theirs:
        handshake = threading.Thread(target=client.wrap_socket, args=(theirs,))
        handshake.start()
        served = context.wrap_socket(ours, server_side=True)  # the head's time starts here
        handshake.join()
        time.sleep(context.client_timeout_s * HEAD_TIMEOUTS)
        try:
            served.recv(10)
        except TimeoutError as e:
            return e
    raise AssertionError("a head past its deadline was still read")


def test_a_client_whose_head_took_too_long_is_one_line_saying_so(capfd, tmp_path):
    logged = _logged(capfd, _slow_head(tmp_path))
    assert "A client (10.0.0.7:51234) took longer than 2 times --client-timeout to send its request's head" in logged
    assert "Traceback" not in logged and len(logged.strip().splitlines()) == 1


def test_a_client_dropped_for_its_silence_is_one_line_naming_it(capfd, tmp_path):
    logged = _logged(capfd, _silent_client(tmp_path))
    assert "A client (10.0.0.7:51234) went silent" in logged and "--client-timeout" in logged
    assert "Traceback" not in logged and len(logged.strip().splitlines()) == 1
    assert "A client ([fd00::7]:443) went silent" in _logged(capfd, _silent_client(tmp_path), ("fd00::7", 443, 0, 0))


@pytest.mark.parametrize("error", [PermissionError("not allowed"), TimeoutError("a site's panel did not answer")])
def test_other_errors_keep_their_traceback(capfd, error):
    """A timeout that is not the client's socket (reaching a site's panel while an answer
    streams) is not blamed on the client."""
    logged = _logged(capfd, error)
    assert "Socket error processing request." in logged and "Traceback" in logged and "went silent" not in logged
