"""What a linked site downloads, on SQLite and PostgreSQL: the plan (the next release, a required
one first, as a differential bundle against the release the site runs when the hub holds it), and
the bundle's bytes for a signed request only (each signed anew: a replay, a request for another
bundle than it names, or none at all is refused), resumable with Range."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from hub.tokens import create_token
from installer.hub_link.envelope import signed_header
from tests.unit.hub.bundles import TinyBundle, commit, tiny_bundle, upload_all
from tests.unit.hub.sites_helpers import FakeSite


def _publish(api, versions: tuple[str, ...], channel: str = "stable") -> dict[str, TinyBundle]:  # type: ignore[no-untyped-def]
    made = {}
    for version in versions:
        made[version] = bundle = tiny_bundle(version, page=version.encode())
        upload_all(api, bundle)
        assert commit(api, bundle, channel=channel).status_code == 201
    return made


def _site(client, hub_engine, installed: TinyBundle | None) -> FakeSite:  # type: ignore[no-untyped-def]
    site = FakeSite()
    with Session(hub_engine) as db:
        token = create_token(db, "enroll").token
    assert site.enroll(client, token).status_code == 201
    assert site.check_in(client, site.sealed("check-in", release=_release(installed))).status_code == 200
    return site


def _release(bundle: TinyBundle | None) -> dict[str, Any]:
    if bundle is None:
        return {"name": "hello", "version": "1.0.0", "index_sha256": "0" * 64}
    return {"name": "hello", "version": bundle.index.version,
            "index_sha256": hashlib.sha256(bundle.index_bytes).hexdigest()}


def _plan(client, site: FakeSite, installed: TinyBundle | None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    answer = client.post(f"/api/v1/sites/{site.id}/downloads", data=site.sealed("download", release=_release(installed)))
    assert answer.status_code == 200, answer.json
    return dict(answer.json)


def _get(client, site: FakeSite, path: str, version: str, base: str | None, **headers: str):  # type: ignore[no-untyped-def]
    auth = signed_header(site.sealed("download", version=version, base=base))
    return client.get(f"/api/v1{path}", headers={"Authorization": auth, **headers})


def test_the_plan_names_the_differential_against_the_installed_release_and_serves_it_resumably(api, client,
                                                                                              hub_engine):
    bundles = _publish(api, ("1.0.0", "1.1.0"))
    site = _site(client, hub_engine, bundles["1.0.0"])
    nxt = _plan(client, site, bundles["1.0.0"])["next"]
    assert (nxt["version"], nxt["newest"], nxt["required"], nxt["reason"]) == ("1.1.0", "1.1.0", False, None)
    diff, full = nxt["differential"], nxt["full"]
    assert diff["base"] == "1.0.0" and not diff["signed"] and diff["size"] <= full["size"]
    assert full["index_sha256"] == hashlib.sha256(bundles["1.1.0"].index_bytes).hexdigest()
    whole = _get(client, site, full["path"], "1.1.0", None)
    assert whole.status_code == 200 and len(whole.data) == full["size"]
    half = full["size"] // 2
    rest = _get(client, site, full["path"], "1.1.0", None, Range=f"bytes={half}-", **{"If-Range": whole.headers["ETag"]})
    assert rest.status_code == 206 and rest.data == whole.data[half:]
    got = _get(client, site, diff["path"], "1.1.0", "1.0.0")
    assert got.status_code == 200 and len(got.data) == diff["size"]


def test_a_required_release_comes_first_and_an_unknown_installed_index_gets_the_full_bundle(api, client,
                                                                                          hub_engine):
    _publish(api, ("1.0.0", "1.1.0", "1.2.0"))
    assert api.patch("/api/v1/applications/hello/releases/1.1.0", json={"required": True}).status_code == 200
    site = _site(client, hub_engine, None)
    nxt = _plan(client, site, None)["next"]
    assert (nxt["version"], nxt["newest"], nxt["required"]) == ("1.1.0", "1.2.0", True)
    assert "may not be skipped" in nxt["reason"] and nxt["differential"] is None


def test_bundle_requests_are_refused_unsigned_replayed_or_for_another_bundle(api, client, hub_engine):
    bundles = _publish(api, ("1.0.0", "1.1.0"))
    _publish(api, ("1.2.0",), channel="beta")
    site = _site(client, hub_engine, bundles["1.0.0"])
    path = _plan(client, site, bundles["1.0.0"])["next"]["full"]["path"]
    assert client.get(f"/api/v1{path}").status_code == 401
    auth = signed_header(site.sealed("download", version="1.1.0", base=None))
    assert client.get(f"/api/v1{path}", headers={"Authorization": auth}).status_code == 200
    replay = client.get(f"/api/v1{path}", headers={"Authorization": auth})
    assert replay.status_code == 409 and "last_seq" in replay.json
    assert _get(client, site, path, "1.0.0", None).status_code == 401  # signed for another bundle
    beta = path.replace("1.1.0", "1.2.0")
    assert _get(client, site, beta, "1.2.0", None).status_code == 404  # not on the site's channel
    forged = FakeSite()
    stranger = signed_header(forged.sealed("download", version="1.1.0", base=None, site=site.id))
    assert client.get(f"/api/v1{path}", headers={"Authorization": stranger}).status_code == 401
