"""The control panel of a real single-host install (the hello bundle, the k3s stand-in, a temp root
and state dir): the /cluster-service phase starts the airlift-panel service from the kept
installer; it answers HTTPS only, with the install's certificate; the password chosen with
--panel-password-file signs in, a wrong one and a cross-origin POST are refused; `./install
panel-link` signs in once; `status` prints the link; uninstall takes the service away."""

from __future__ import annotations

import hashlib
import http.client
import re
import socket
import ssl
from urllib.parse import urlsplit

import pytest

from installer.statedir import StateDir
from installer.tls import saved_fingerprint
from tests.fixtures.net import listening, wait_until
from tests.integration.installer_run import Target, leftover_processes

pytestmark = pytest.mark.integration

PASSWORD = "panel password for tests"


@pytest.fixture(scope="module")
def site(hello_bundle_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("panel")
    target = Target.make(hello_bundle_dir, tmp)
    target.root.mkdir()
    secret = tmp / "panel-password"
    secret.write_text(PASSWORD + "\n")
    result = target.install("--panel-password-file", str(secret))
    assert result.returncode == 0, result.stdout + result.stderr
    assert wait_until(lambda: listening(target.panel_port), 60), _panel_log(target)
    yield target
    assert target.uninstall().returncode == 0
    assert not listening(target.panel_port)
    assert not [p for p in leftover_processes(target.state) if "_panel" in p]


def _panel_log(target: Target) -> str:
    log = StateDir(target.state).panel_log
    return log.read_text() if log.is_file() else "(no panel log)"


def connect(target: Target) -> http.client.HTTPSConnection:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # pinned below, as an operator compares the fingerprint
    conn = http.client.HTTPSConnection("127.0.0.1", target.panel_port, context=context, timeout=30)
    conn.connect()
    der = conn.sock.getpeercert(binary_form=True)
    assert hashlib.sha256(der).hexdigest().upper() == saved_fingerprint(target.state).replace(":", "")
    return conn


def request(target: Target, method: str, path: str, body: str | None = None, headers: dict | None = None):
    conn = connect(target)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), response.read().decode()


def origin(target: Target) -> str:
    return f"https://127.0.0.1:{target.panel_port}"


def sign_in(target: Target, password: str, from_origin: str | None = None):
    return request(target, "POST", "/signin", f"password={password.replace(' ', '+')}",
                   {"Content-Type": "application/x-www-form-urlencoded", "Origin": from_origin or origin(target)})


def test_only_the_hash_of_the_password_is_kept_and_privately(site):
    stored = StateDir(site.state).panel_password
    assert stored.stat().st_mode & 0o777 == 0o600
    assert PASSWORD not in stored.read_text() and stored.read_text().startswith("scrypt$")
    for log in (StateDir(site.state).installer_log, StateDir(site.state).events):
        assert PASSWORD not in log.read_text()


def test_plain_http_gets_no_page(site):
    with socket.create_connection(("127.0.0.1", site.panel_port), timeout=10) as raw:
        raw.sendall(b"GET /signin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try:
            answer = raw.recv(4096)
        except ConnectionResetError:
            answer = b""
    assert b"HTTP/1." not in answer and b"password" not in answer


def test_the_sign_in_page_is_served_over_https_with_the_installs_certificate(site):
    status, headers, page = request(site, "GET", "/signin")
    assert status == 200 and "Admin password" in page and "hello" in page
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert request(site, "GET", "/api/overview")[0] == 401


def test_the_password_signs_in_and_the_overview_reads_the_install(site):
    status, headers, _ = sign_in(site, PASSWORD)
    assert status == 303, _panel_log(site)
    cookie = headers["Set-Cookie"].split(";")[0]
    status, _, body = request(site, "GET", "/api/overview", headers={"Cookie": cookie})
    assert status == 200 and '"name":"hello"' in body.replace(" ", "")
    assert '"word":' in body
    status, _, body = request(site, "GET", "/api/operations", headers={"Cookie": cookie})
    assert status == 200 and '"id":"install"' in body.replace(" ", "")


def test_a_wrong_password_is_refused_and_logged_with_its_address(site):
    status, _, page = sign_in(site, "not the password at all")
    assert status == 401 and "Wrong password." in page
    assert "wrong control panel password from 127.0.0.1" in _panel_log(site)


def test_a_post_from_another_origin_is_refused(site):
    assert sign_in(site, PASSWORD, from_origin="https://elsewhere.example")[0] == 403
    assert "origin 'https://elsewhere.example' is not this panel" in _panel_log(site)


def test_panel_link_signs_in_once_and_status_prints_the_panels_link(site):
    made = site.run("panel-link", *site.location())
    assert made.returncode == 0, made.stdout + made.stderr
    link = re.search(r"https://\S+/link\?token=\S+", made.stdout).group(0)
    assert urlsplit(link).port == site.panel_port
    path = f"{urlsplit(link).path}?{urlsplit(link).query}"
    status, headers, page = request(site, "GET", path)
    assert status == 200 and 'name="csrf-token"' in page and "Set-Cookie" in headers
    assert request(site, "GET", path)[0] == 401
    status = site.run("status", *site.location())
    assert f"Control panel: https://127.0.0.1:{site.panel_port}/" in status.stdout, status.stdout
    assert "control panel running" in status.stdout
