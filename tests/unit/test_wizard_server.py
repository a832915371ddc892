"""Where the wizard listens, and its certificate: made once, reused, remade when it no longer fits."""

import datetime
import stat

import pytest
from cryptography import x509

from installer.errors import AirliftError
from installer.tls import ensure_certificate
from wizard.server import parse_listen, url_for


@pytest.mark.parametrize("listen, expected", [
    (None, ("10.0.0.5", 61009)),
    ("", ("10.0.0.5", 61009)),
    ("192.168.1.2:8443", ("192.168.1.2", 8443)),
    ("192.168.1.2", ("192.168.1.2", 61009)),
    (":7000", ("10.0.0.5", 7000)),
    ("[::1]:7000", ("::1", 7000)),
])
def test_listen_forms(listen, expected):
    assert parse_listen(listen, "10.0.0.5") == expected


@pytest.mark.parametrize("listen, words", [
    ("10.0.0.5:http", '"http" is not a port number'),
    ("10.0.0.5:70000", '"70000" is not a port number'),
    ("myhost:61009", '"myhost" is not an IP address'),
])
def test_bad_listen_is_refused_with_the_flag_named(listen, words):
    with pytest.raises(AirliftError) as caught:
        parse_listen(listen, "10.0.0.5")
    assert words in caught.value.message and "--listen" in caught.value.message


def test_port_from_the_answers_when_listen_names_none():
    assert parse_listen(None, "10.0.0.5", 7443) == ("10.0.0.5", 7443)
    assert parse_listen("10.0.0.6", "10.0.0.5", 7443) == ("10.0.0.6", 7443)


def test_url_brackets_ipv6():
    assert url_for("::1", 7000, "t") == "https://[::1]:7000/?token=t"


def test_certificate_is_made_once_and_reused(tmp_path):
    first = ensure_certificate(tmp_path, "10.0.0.5")
    assert stat.S_IMODE(first.key_path.stat().st_mode) == 0o600
    assert ensure_certificate(tmp_path, "10.0.0.5").fingerprint == first.fingerprint
    cert = x509.load_pem_x509_certificate(first.cert_path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "10.0.0.5" in [str(ip) for ip in names.get_values_for_type(x509.IPAddress)]
    assert len(first.fingerprint.split(":")) == 32


def test_certificate_is_remade_for_a_new_address_or_when_expiring(tmp_path, monkeypatch):
    first = ensure_certificate(tmp_path, "10.0.0.5")
    moved = ensure_certificate(tmp_path, "10.0.0.6")
    assert moved.fingerprint != first.fingerprint
    monkeypatch.setattr("installer.tls.RENEW_BEFORE", datetime.timedelta(days=10_000))
    assert ensure_certificate(tmp_path, "10.0.0.6").fingerprint != moved.fingerprint


def test_unreadable_certificate_is_replaced(tmp_path):
    first = ensure_certificate(tmp_path, "127.0.0.1")
    first.cert_path.write_text("garbage")
    assert ensure_certificate(tmp_path, "127.0.0.1").fingerprint != first.fingerprint
