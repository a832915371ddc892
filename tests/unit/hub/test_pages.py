"""The catalog pages: sign-in with a local account, every form CSRF-checked, pages that keep to
this host, and what a release page shows and changes."""

from __future__ import annotations

import re

from installer.bundle.signature import public_key_of
from tests.unit.hub.bundles import VENDOR_KEY, commit, signed, tiny_bundle, upload_all
from tests.unit.hub.conftest import PASSWORD


def _csrf(page: bytes) -> str:
    match = re.search(rb'name="csrf" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1).decode()


def _sign_in(client, name: str = "alice", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = _csrf(client.get("/login").data)
    return client.post("/login", data={"name": name, "password": password, "csrf": token})


def _published(api) -> None:  # type: ignore[no-untyped-def]
    bundle = tiny_bundle()
    upload_all(api, bundle)
    assert commit(api, bundle, channel="beta", signature=signed(bundle)).status_code == 201


def test_pages_need_a_signed_in_user(client, user):
    assert client.get("/").status_code == 302
    assert client.get("/").headers["Location"].endswith("/login")
    wrong = _sign_in(client, password="not the password")
    assert wrong.status_code == 401 and b"do not match" in wrong.data
    assert client.get("/").status_code == 302
    right = _sign_in(client)
    assert right.status_code == 302
    cookie = right.headers.getlist("Set-Cookie")
    assert any("hub_session=" in c and "Secure" in c and "HttpOnly" in c and "SameSite=Strict" in c for c in cookie)
    assert client.get("/").status_code == 200


def test_the_sign_in_form_is_csrf_checked(client, user):
    client.get("/login")
    response = client.post("/login", data={"name": "alice", "password": PASSWORD, "csrf": "forged"})
    assert response.status_code == 401
    assert client.get("/").status_code == 302


def test_sign_out_ends_the_session_on_the_hub(client, user):
    _sign_in(client)
    page = client.get("/").data
    cookie = client.get_cookie("hub_session")
    assert cookie is not None
    assert client.post("/logout", data={"csrf": _csrf(page)}).status_code == 302
    client.set_cookie("hub_session", cookie.value)  # a copy of the old cookie no longer works
    assert client.get("/").status_code == 302


def test_the_release_page_shows_the_bundle(api, client, user):
    _published(api)
    _sign_in(client)
    assert b"hello" in client.get("/").data
    assert b"1.0.0" in client.get("/apps/hello").data
    page = client.get("/apps/hello/1.0.0")
    text = page.data.decode()
    assert "docker.io/library/hello:1.0.0" in text and public_key_of(VENDOR_KEY).key_id in text and "beta" in text
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert not re.search(r'(src|href)="(https?:)?//', text)  # nothing from another host
    assert client.get("/apps/hello/2.0.0").status_code == 404
    assert client.get("/apps/nothing").status_code == 404


def test_promotion_and_edits_need_the_form_token(api, client, user):
    _published(api)
    _sign_in(client)
    token = _csrf(client.get("/apps/hello/1.0.0").data)
    forged = client.post("/apps/hello/1.0.0/promote", data={"channel": "stable", "csrf": "x" * 43})
    assert forged.status_code == 400
    assert client.post("/apps/hello/1.0.0/promote", data={"channel": "stable", "csrf": token}).status_code == 302
    assert client.post("/apps/hello/1.0.0/promote", data={"new_channel": "lts", "csrf": token}).status_code == 302
    assert client.post("/apps/hello/1.0.0/edit", data={"notes": "Safe to skip? No.", "required": "on",
                                                        "csrf": token}).status_code == 302
    release = api.get("/api/v1/applications/hello/releases/1.0.0").json
    assert release["channels"] == ["beta", "lts", "stable"]
    assert release["notes"] == "Safe to skip? No." and release["required"]
    channels = client.get("/channels").data.decode()
    assert "lts" in channels and "alice" in channels


def test_a_signed_in_user_downloads_the_full_bundle(api, client, user):
    _published(api)
    _sign_in(client)
    response = client.get("/apps/hello/1.0.0/bundle.tar")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="hello-1.0.0.tar"'
    assert response.data == api.get("/api/v1/applications/hello/releases/1.0.0/bundle.tar").data
