"""Install links (hub/install_links.py, hub/install_pages.py) on SQLite and PostgreSQL: made on a
release or channel page and shown once, the script they serve, the bundle they download, and
links refused once expired, used up or forged."""

from __future__ import annotations

import datetime
import hashlib
import re
import shutil
import subprocess
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from sqlalchemy import update
from sqlalchemy.orm import Session

from hub.context import HubTls
from hub.models import ApiToken
from hub.tokens import TokenRefused, take_enroll_token
from hub.wsgi_server import HubLogger
from tests.unit.hub.bundles import commit, signed, tiny_bundle, upload_all
from tests.unit.hub.test_pages import _csrf, _sign_in

CERT = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
LINK = re.compile(r"http://localhost/install/(hub_[0-9a-f]+_[A-Za-z0-9_-]+)")


@pytest.fixture
def tls(hub_app) -> HubTls:  # type: ignore[no-untyped-def]
    hub_app.extensions["hub"].tls = HubTls(CERT, "ab" * 32, True)
    return hub_app.extensions["hub"].tls


def _publish(api, version: str = "1.0.0", channel: str = "beta"):  # type: ignore[no-untyped-def]
    bundle = tiny_bundle(version)
    upload_all(api, bundle)
    assert commit(api, bundle, channel=channel, signature=signed(bundle)).status_code == 201
    return bundle


def _make(client, path: str, page: str, **form: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Make a link from `page`'s form; returns (the page shown once, the token)."""
    data = {"csrf": _csrf(client.get(page).data), "uses": "1", "expires_days": "7", "mode": "cli",
            "install_args": "--flavor single --accept-eula"} | form
    made = client.post(path, data=data)
    assert made.status_code == 200, made.data[:600]
    text = made.data.decode()
    match = LINK.search(text)
    assert match, text
    return text, match.group(1)


def test_a_release_link_is_shown_once_with_its_command_and_script(api, client, user, tls):
    _publish(api)
    _sign_in(client)
    assert "Install from a link" in client.get("/apps/hello/1.0.0").data.decode()
    page, token = _make(client, "/apps/hello/1.0.0/install-link", "/apps/hello/1.0.0", channel="beta")
    assert "shown this once" in page
    assert f"curl --fail-with-body -sSL --cacert airlift-hub.pem http://localhost/install/{token} | sh" in page
    assert "MIIBfake" in page and f"SHA256:{'ab' * 32}" in page
    assert "HUB_FINGERPRINT=SHA256:" + "ab" * 32 in page  # the script's full text is on the page
    assert token not in client.get("/apps/hello/1.0.0").data.decode()
    with Session(api.application.extensions["hub"].sessions.kw["bind"]) as db:
        row = db.get(ApiToken, token.split("_")[1])
        assert row is not None and row.scope == "enroll" and row.uses_left == 1 and row.channel == "beta"
        assert token.split("_", 2)[2] not in row.secret_hash


def test_the_script_names_the_release_its_digest_and_the_install(api, client, user, tls):
    _publish(api)
    _sign_in(client)
    _, token = _make(client, "/apps/hello/1.0.0/install-link", "/apps/hello/1.0.0")
    script = api.application.test_client().get(f"/install/{token}")  # no session, no other token: the link is the secret
    assert script.status_code == 200 and script.mimetype == "text/plain"
    text = script.data.decode()
    full = api.get("/api/v1/applications/hello/releases/1.0.0/bundle.tar").data
    assert f"BUNDLE_SHA256={hashlib.sha256(full).hexdigest()}" in text
    assert f"BUNDLE_SIZE={len(full)}" in text and "VERSION=1.0.0" in text and f"LINK_TOKEN={token}" in text
    assert "./install --cli --flavor single --accept-eula \"$@\"" in text
    assert "HUB_CERT='-----BEGIN CERTIFICATE-----" in text
    assert api.get(f"/install/{token}/1.0.0/bundle.tar").data == full
    ranged = api.get(f"/install/{token}/1.0.0/bundle.tar", headers={"Range": "bytes=10-"})
    assert ranged.status_code == 206 and ranged.data == full[10:]
    assert api.get(f"/install/{token}/9.9.9/bundle.tar").status_code == 404
    if shutil.which("sh"):
        assert subprocess.run(["sh", "-n"], input=text, text=True).returncode == 0


def test_a_channel_link_installs_the_newest_release_on_its_channel(api, client, user, tls):
    _publish(api, "1.0.0", "stable")
    _sign_in(client)
    channels = client.get("/channels").data.decode()
    assert "/channels/stable/hello/install-link" in channels
    _, token = _make(client, "/channels/stable/hello/install-link", "/channels", mode="wizard", install_args="")
    assert "VERSION=1.0.0" in api.get(f"/install/{token}").data.decode()
    _publish(api, "1.1.0", "stable")
    text = api.get(f"/install/{token}").data.decode()
    assert "VERSION=1.1.0" in text and "./install \"$@\"" in text
    assert api.get(f"/install/{token}/1.0.0/bundle.tar").status_code == 200  # still on the channel
    assert client.post("/channels/nothing/hello/install-link",
                       data={"csrf": _csrf(client.get("/channels").data)}).status_code == 404


def test_forged_expired_and_used_up_links_are_refused_with_a_script_that_fails(api, client, user, tls):
    _publish(api)
    _sign_in(client)
    _, token = _make(client, "/apps/hello/1.0.0/install-link", "/apps/hello/1.0.0")
    forged = api.get(f"/install/{token[:-2]}xx")
    assert forged.status_code == 404 and b"not one this hub made" in forged.data
    assert api.get("/install/hub_00_x").status_code == 404
    engine = api.application.extensions["hub"].sessions.kw["bind"]
    with Session(engine) as db:
        take_enroll_token(db, token)  # the site enrolls: the one use is taken
        db.commit()
        with pytest.raises(TokenRefused):
            take_enroll_token(db, token)
    used = api.get(f"/install/{token}")
    assert used.status_code == 410 and b"used already" in used.data
    assert api.get(f"/install/{token}/1.0.0/bundle.tar").status_code == 410
    if shutil.which("sh"):
        ran = subprocess.run(["sh"], input=used.data.decode(), capture_output=True, text=True)
        assert ran.returncode == 1 and "airlift: This install link was used already" in ran.stderr
    _, other = _make(client, "/apps/hello/1.0.0/install-link", "/apps/hello/1.0.0", uses="0")
    with Session(engine) as db:
        db.execute(update(ApiToken).where(ApiToken.id == other.split("_")[1])
                   .values(expires_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)))
        db.commit()
    expired = api.get(f"/install/{other}")
    assert expired.status_code == 410 and b"expired on" in expired.data


def test_links_need_a_signed_in_user_and_a_csrf_token_and_good_answers(api, client, user, tls):
    _publish(api)
    assert client.post("/apps/hello/1.0.0/install-link", data={}).status_code == 302
    _sign_in(client)
    assert client.post("/apps/hello/1.0.0/install-link", data={"csrf": "forged"}).status_code == 400
    csrf = _csrf(client.get("/apps/hello/1.0.0").data)
    for bad in ({"mode": "ssh"}, {"channel": "Not A Channel"}, {"install_args": "'unclosed"},
                {"expires_days": "999"}, {"uses": "-1"}, {"uses": "many"}):
        answer = client.post("/apps/hello/1.0.0/install-link", data={"csrf": csrf} | bad)
        assert answer.status_code == 400, bad


def test_a_hub_with_a_given_certificate_shows_a_plain_command(api, client, user, hub_app):
    hub_app.extensions["hub"].tls = HubTls(CERT, "cd" * 32, False)
    _publish(api)
    _sign_in(client)
    page, token = _make(client, "/apps/hello/1.0.0/install-link", "/apps/hello/1.0.0")
    assert f"curl --fail-with-body -sSL http://localhost/install/{token} | sh" in page
    assert "HUB_CERT=" not in page and "MIIBfake" not in page


def test_the_request_log_leaves_the_link_secret_out():
    logger = HubLogger(Config())
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/install/hub_0123abcd_S3cr-et_x/1.0.0/bundle.tar",
               "PATH_INFO": "/install/hub_0123abcd_S3cr-et_x/1.0.0/bundle.tar", "SERVER_PROTOCOL": "HTTP/1.1"}
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, datetime.timedelta(milliseconds=3))
    assert atoms["r"] == "GET /install/hub_0123abcd_…/1.0.0/bundle.tar HTTP/1.1"
    assert not any("S3cr" in str(value) for value in atoms.values())
