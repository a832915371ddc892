"""Sites phoning home, on SQLite and PostgreSQL: enrollment with enroll tokens (reused, expired,
forged ones refused), signed check-ins (bad signatures and replays refused, a wrong clock
recorded), the state and its events, the update a check-in names, disconnection, and an
offline site's report file taken once however often it is uploaded."""

from __future__ import annotations

import base64
import datetime
import io
import json

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub import check_ins
from hub.models import CheckIn, Site, SiteEvent
from hub.site_state import derive_state
from hub.tokens import create_token
from installer.hub_link.envelope import inventory_digest, inventory_part, seal
from tests.unit.hub.bundles import commit, tiny_bundle, upload_all
from tests.unit.hub.sites_helpers import FakeSite
from tests.unit.hub.test_pages import _csrf, _sign_in


def _token(hub_engine, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with Session(hub_engine) as db:
        return create_token(db, "enroll", **kwargs).token


def _events(hub_engine, site: FakeSite) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(hub_engine) as db:
        return [f"{e.kind}: {e.message}" for e in db.scalars(select(SiteEvent).where(SiteEvent.site_id == site.id)
                                                           .order_by(SiteEvent.id))]


def test_an_enroll_token_admits_one_site_and_then_no_other(client, hub_engine):
    token = _token(hub_engine, channel="beta")
    first = FakeSite()
    answer = first.enroll(client, token)
    assert answer.status_code == 201, answer.json
    assert answer.json["site_id"] == first.id and answer.json["channel"] == "beta"
    again = FakeSite().enroll(client, token)
    assert again.status_code == 401 and "used already" in again.json["error"]
    many = _token(hub_engine, uses=None)
    assert all(FakeSite().enroll(client, many).status_code == 201 for _ in range(3))


@pytest.mark.parametrize(("make", "said"), [
    ("expired", "expired on"), ("forged", "not one this hub made"), ("publish", "cannot enroll a site"),
    ("missing", "not one this hub made")])
def test_expired_forged_and_wrong_scope_tokens_enroll_nothing(client, hub_engine, make, said):
    with Session(hub_engine) as db:
        token = {"expired": lambda: create_token(db, "enroll", datetime.timedelta(seconds=-1)).token,
                 "forged": lambda: create_token(db, "enroll").token[:-4] + "AAAA",
                 "publish": lambda: create_token(db, "publish").token, "missing": lambda: ""}[make]()
    site = FakeSite()
    answer = site.enroll(client, token)
    assert answer.status_code == 401 and said in answer.json["error"]
    assert site.check_in(client).status_code == 404


def test_a_check_in_is_taken_and_answered_with_the_newest_release_of_the_channel(api, client, hub_engine):
    for version, channel in (("1.0.0", "stable"), ("1.1.0", "stable"), ("1.2.0", "beta")):
        bundle = tiny_bundle(version, page=version.encode())
        upload_all(api, bundle)
        assert commit(api, bundle, channel=channel).status_code == 201
    site = FakeSite()
    assert site.enroll(client, _token(hub_engine)).status_code == 201
    answer = site.check_in(client)
    assert answer.status_code == 200, answer.json
    assert answer.json["state"] == "online" and answer.json["taken"]
    assert answer.json["update"] == {"version": "1.1.0", "required": False, "via": None, "channel": "stable",
                                     "index_sha256": answer.json["update"]["index_sha256"]}
    listed = api.get("/api/v1/sites").json["sites"]
    assert [(s["site_id"], s["state"], s["version"]) for s in listed] == [(site.id, "online", "1.0.0")]
    shown = api.get(f"/api/v1/sites/{site.id}").json
    assert shown["inventory"] == 2 and shown["status"]["condition"] == "healthy"
    assert any("registered -> online" in e["message"] for e in shown["events"])


def test_a_required_release_on_the_way_is_named(api, client, hub_engine):
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        bundle = tiny_bundle(version, page=version.encode())
        upload_all(api, bundle)
        assert commit(api, bundle, channel="stable").status_code == 201
    assert api.patch("/api/v1/applications/hello/releases/1.1.0", json={"required": True}).status_code == 200
    site = FakeSite()
    site.enroll(client, _token(hub_engine))
    update = site.check_in(client).json["update"]
    assert (update["version"], update["required"], update["via"]) == ("1.2.0", True, "1.1.0")


def test_a_forged_or_tampered_check_in_is_refused(client, hub_engine):
    site = FakeSite()
    site.enroll(client, _token(hub_engine))
    impostor = FakeSite()
    forged = client.post(f"/api/v1/sites/{site.id}/check-ins", data=impostor.sealed("check-in"))
    assert forged.status_code == 400 and "not" in forged.json["error"]  # another site's document
    doc = json.loads(site.sealed("check-in"))
    payload = json.loads(base64.b64decode(doc["payload"]))
    payload["release"]["version"] = "9.9.9"
    doc["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    tampered = site.check_in(client, json.dumps(doc).encode())
    assert tampered.status_code == 401 and "does not match its contents" in tampered.json["error"]
    # signed by another key but naming this site: refused by the key check
    swapped = json.loads(impostor.sealed("check-in"))
    inner = json.loads(base64.b64decode(swapped["payload"]))
    inner["site"] = site.id
    lying = seal(inner, impostor.key)
    refused = site.check_in(client, lying)
    assert refused.status_code == 401 and "signed by the key of" in refused.json["error"]
    assert client.post(f"/api/v1/sites/{site.id}/check-ins", data=b"{not json").status_code == 400


def test_a_replayed_check_in_is_refused_and_names_the_last_sequence(client, hub_engine):
    site = FakeSite()
    site.enroll(client, _token(hub_engine))
    body = site.sealed("check-in", seq=5)
    assert site.check_in(client, body).status_code == 200
    again = site.check_in(client, body)
    assert again.status_code == 200 and not again.json["taken"]  # the very same document: nothing changes
    older = site.check_in(client, site.sealed("check-in", seq=4))
    assert older.status_code == 409 and older.json["last_seq"] == 5 and "not above" in older.json["error"]
    assert site.check_in(client, site.sealed("check-in", seq=6)).status_code == 200


def test_check_ins_leave_no_row_behind_but_a_report_file_does(client, hub_engine):
    site = FakeSite()
    site.enroll(client, _token(hub_engine))
    for _ in range(3):
        assert site.check_in(client).json["taken"]
    assert client.post("/api/v1/reports", data=site.sealed("report")).json["taken"]
    with Session(hub_engine) as db:
        assert [(c.kind, c.seq) for c in db.scalars(select(CheckIn).where(CheckIn.site_id == site.id))] == [("report", 5)]


def test_an_unchanged_inventory_travels_as_its_digest(client, hub_engine):
    site = FakeSite()
    site.enroll(client, _token(hub_engine))
    held = ["a" * 64, "b" * 64]
    first = site.check_in(client)
    assert first.json["inventory_sha256"] == inventory_digest(held)
    digest_only = site.sealed("check-in", **inventory_part(held, first.json["inventory_sha256"]))
    assert "inventory" not in json.loads(base64.b64decode(json.loads(digest_only)["payload"]))
    assert site.check_in(client, digest_only).json["inventory_sha256"] == inventory_digest(held)
    # a digest the hub does not hold (its database restored, say) changes nothing; the answer names
    # the one it holds, so the site sends the inventory whole next time
    grown = held + ["c" * 64]
    unknown = site.check_in(client, site.sealed("check-in", inventory_sha256=inventory_digest(grown)))
    assert unknown.json["taken"] and unknown.json["inventory_sha256"] == inventory_digest(held)
    again = site.check_in(client, site.sealed("check-in", **inventory_part(grown, unknown.json["inventory_sha256"])))
    assert again.json["inventory_sha256"] == inventory_digest(grown)
    with Session(hub_engine) as db:
        found = db.get(Site, site.id)
        assert found is not None and json.loads(found.inventory_json or "[]") == grown


@pytest.mark.parametrize("kind", ["check-in", "report"])
def test_a_document_racing_another_change_of_its_site_is_taken_on_a_second_read(client, hub_engine, monkeypatch,
                                                                                 kind):
    site = FakeSite()
    site.enroll(client, _token(hub_engine))
    assert site.check_in(client).json["state"] == "online"
    worked_out = check_ins._changes

    def raced(row, *args):  # type: ignore[no-untyped-def]
        if row.state == "online":  # another request notices the site went stale, between read and write
            with hub_engine.begin() as conn:
                conn.execute(update(Site).where(Site.id == site.id).values(state="stale"))
        return worked_out(row, *args)

    monkeypatch.setattr(check_ins, "_changes", raced)
    path = f"/api/v1/sites/{site.id}/check-ins" if kind == "check-in" else "/api/v1/reports"
    taken = client.post(path, data=site.sealed(kind, status={"condition": "degraded", "reasons": ["k3s is down"]}))
    assert taken.status_code == 200 and taken.json["taken"]
    assert "state: stale -> " + taken.json["state"] in _events(hub_engine, site)  # written over the row read again


def test_a_site_clock_wrong_by_a_day_still_checks_in(client, hub_engine):
    site = FakeSite(clock_offset=datetime.timedelta(days=-1))
    site.enroll(client, _token(hub_engine))
    answer = site.check_in(client)
    assert answer.status_code == 200 and answer.json["state"] == "online"
    with Session(hub_engine) as db:
        found = db.get(Site, site.id)
        assert found is not None and abs(found.clock_skew_s + 86400) < 60
    assert any(e.startswith("clock: the site's clock is 24.0 h behind") for e in _events(hub_engine, site))


def test_health_and_version_changes_become_events_and_states(client, hub_engine):
    site = FakeSite()
    site.enroll(client, _token(hub_engine))
    site.check_in(client)
    site.condition = "degraded"
    assert site.check_in(client).json["state"] == "degraded"
    site.condition, site.version = "healthy", "1.1.0"
    assert site.check_in(client).json["state"] == "online"
    events = _events(hub_engine, site)
    assert "health: health healthy -> degraded: k3s is down" in events
    assert "state: online -> degraded" in events and "state: degraded -> online" in events
    assert "version: version 1.0.0 -> 1.1.0" in events


def test_the_state_follows_the_silence():
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    site = Site(id="s", interval_s=60, mode="online", condition="healthy", last_seen=None, disconnected_at=None)
    assert derive_state(site, now) == "registered"
    for silent, state in ((0, "online"), (179, "online"), (181, "stale"), (599, "stale"), (601, "offline")):
        site.last_seen = now - datetime.timedelta(seconds=silent)
        assert derive_state(site, now) == state, silent
    site.last_seen, site.condition = now, "down"
    assert derive_state(site, now) == "degraded"
    site.mode = "file"
    assert derive_state(site, now) == "offline"
    site.disconnected_at = now
    assert derive_state(site, now) == "disconnected"


def test_a_silent_site_turns_stale_then_offline_dated_when_it_happened(api, client, hub_engine):
    site = FakeSite()
    site.enroll(client, _token(hub_engine))
    site.check_in(client)
    with Session(hub_engine) as db:
        found = db.get(Site, site.id)
        assert found is not None
        found.last_seen = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=200)
        db.commit()
    assert api.get("/api/v1/sites").json["sites"][0]["state"] == "stale"
    assert api.get("/api/v1/sites").json["sites"][0]["state"] == "stale"  # noticed once
    assert _events(hub_engine, site).count("state: online -> stale") == 1
    assert site.check_in(client).json["state"] == "online"


def test_disconnect_ends_the_link_and_later_check_ins_are_refused(client, hub_engine):
    site = FakeSite()
    site.enroll(client, _token(hub_engine))
    site.check_in(client)
    done = client.post(f"/api/v1/sites/{site.id}/disconnect", data=site.sealed("disconnect"))
    assert done.status_code == 200 and done.json["state"] == "disconnected"
    later = site.check_in(client)
    assert later.status_code == 410 and "disconnected" in later.json["error"]
    assert site.enroll(client, _token(hub_engine)).status_code == 409  # the same key does not come back


def test_a_report_file_is_taken_once_however_often_it_is_uploaded(api, client, hub_engine):
    for version in ("1.0.0", "1.1.0"):
        bundle = tiny_bundle(version, page=version.encode())
        upload_all(api, bundle)
        assert commit(api, bundle, channel="stable").status_code == 201
    site = FakeSite()
    events = [{"at": "2026-01-01T00:00:00+00:00", "kind": "operation", "message": "operation op-1 (remove n2: completed)"}]
    report = site.sealed("report", events=events)
    refused = client.post("/api/v1/reports", data=report)
    assert refused.status_code == 401 and "new to this hub" in refused.json["error"]
    token = _token(hub_engine)
    first = client.post("/api/v1/reports", data=report, headers={"Authorization": f"Bearer {token}"})
    assert first.status_code == 200 and first.json["taken"] and first.json["state"] == "offline"
    assert first.json["carry_back"]["version"] == "1.1.0" and first.json["carry_back"]["differential_from"] == "1.0.0"
    before = _events(hub_engine, site)
    again = client.post("/api/v1/reports", data=report)
    assert again.status_code == 200 and not again.json["taken"]
    assert _events(hub_engine, site) == before
    assert "operation: operation op-1 (remove n2: completed)" in before
    assert client.post("/api/v1/reports", data=site.sealed("check-in")).status_code == 400


def test_the_sites_pages_show_a_site_and_take_an_uploaded_report(client, user):
    _sign_in(client)
    site = FakeSite(version="1.0.0")
    page = client.get("/sites")
    assert page.status_code == 200 and b"No site has enrolled yet" in page.data
    token = _csrf(page.data)
    upload = {"csrf": token, "report": (io.BytesIO(site.sealed("report")), "site.airlift")}
    taken = client.post("/sites/reports", data=upload, content_type="multipart/form-data")
    assert taken.status_code == 302 and f"/sites/{site.id}" in taken.headers["Location"]
    shown = client.get(taken.headers["Location"])
    assert b"Report taken." in shown.data and b"offline" in shown.data and b"registered from its report" in shown.data
    forged = client.post("/sites/reports", data={"csrf": "x" * 43, "report": (io.BytesIO(b"{}"), "f")},
                         content_type="multipart/form-data")
    assert forged.status_code == 400  # the form token is checked
    listed = client.get("/sites")
    assert site.id.encode() in listed.data
