"""A check-in that brings no news is taken in one statement (hub/check_ins.py `_quiet`), on SQLite
and PostgreSQL, and that shortcut never changes what a site or the vendor sees: every sequence of
check-ins below leaves the same events, states, answers and row as the full way alone does."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from hub import check_ins
from hub.models import Site, SiteEvent
from hub.site_state import refresh
from tests.unit.hub.bundles import commit, tiny_bundle, upload_all
from tests.unit.hub.sites_helpers import FakeSite
from tests.unit.hub.test_sites import _token

DAY = datetime.timedelta(days=1)


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    said: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        said.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield said
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _publish(api, versions: dict[str, str], required: tuple[str, ...] = ()) -> None:  # type: ignore[no-untyped-def]
    for version, channel in versions.items():
        bundle = tiny_bundle(version, page=version.encode())
        upload_all(api, bundle)
        assert commit(api, bundle, channel=channel).status_code == 201
    for version in required:
        assert api.patch(f"/api/v1/applications/hello/releases/{version}", json={"required": True}).status_code == 200


def test_a_check_in_with_no_news_is_one_statement_and_names_the_update(api, client, hub_engine):
    _publish(api, {"1.0.0": "stable", "1.1.0": "stable", "1.2.0": "stable", "2.0.0": "beta"}, required=("1.1.0",))
    site = FakeSite()
    site.enroll(client, _token(hub_engine))
    site.check_in(client)  # registered -> online: news, the full way
    with statements(hub_engine) as said:
        answer = site.check_in(client)
    assert answer.status_code == 200 and answer.json["taken"] and answer.json["state"] == "online"
    assert said == ["UPDATE"]
    update = answer.json["update"]
    assert (update["version"], update["required"], update["via"], update["channel"]) == ("1.2.0", True, "1.1.0", "stable")
    site.condition = "degraded"  # news: the full way reads the row, writes it with its events
    with statements(hub_engine) as said:
        assert site.check_in(client).json["state"] == "degraded"
    assert said.count("UPDATE") >= 2 and "SELECT" in said and "INSERT" in said


def test_a_site_with_no_release_on_its_channel_is_named_no_update(client, hub_engine):
    site = FakeSite()
    site.enroll(client, _token(hub_engine))
    site.check_in(client)
    with statements(hub_engine) as said:
        answer = site.check_in(client)
    assert said == ["UPDATE"] and answer.json["update"] is None


# Each a sequence of changes to the site before each of its check-ins; "@" makes it silent for
# that many seconds, noticed (as a page read notices it) before it checks in again.
STEPS: dict[str, list[dict[str, Any]]] = {
    "quiet": [{}, {}, {}],
    "health": [{}, {"condition": "degraded"}, {"condition": "degraded"}, {"condition": "down"}, {"condition": "healthy"}],
    "version": [{}, {"version": "1.1.0"}, {}, {"version": "1.0.5"}],
    "alerts": [{}, {"alerts": [{"name": "DiskFull"}]}, {"alerts": [{"name": "DiskFull"}]}, {"alerts": []}],
    "clock": [{}, {"clock_offset": DAY}, {"clock_offset": DAY}, {"clock_offset": datetime.timedelta(0)}, {}],
    "clock-first": [{"clock_offset": -DAY}, {}, {}],
    "no status": [{}, {"status": None}, {}],
    "interval": [{"interval_s": 30}, {}, {"interval_s": "soon"}, {"interval_s": 999999}],
    "stale": [{}, {"@": 400}, {}, {"@": 7000}, {}],
    "no release": [{"release": None}, {"release": None}, {}],
}


def _run(client, hub_engine, steps: list[dict[str, Any]]) -> tuple[list[Any], list[str], dict[str, Any]]:  # type: ignore[no-untyped-def]
    site = FakeSite()
    site.enroll(client, _token(hub_engine))
    answers: list[Any] = []
    for step in steps:
        step = dict(step)
        if "@" in step:
            with Session(hub_engine) as db:
                found = db.get(Site, site.id)
                assert found is not None
                found.last_seen = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=step.pop("@"))
                refresh(db, found, datetime.datetime.now(datetime.UTC))
                db.commit()
        for name in ("condition", "version", "clock_offset", "interval_s"):
            if name in step:
                setattr(site, name, step.pop(name))
        answer = client.post(f"/api/v1/sites/{site.id}/check-ins", data=site.sealed("check-in", **step))
        answers.append((answer.status_code, {k: v for k, v in answer.json.items() if k != "site_id"}))
    with Session(hub_engine) as db:
        events = [f"{e.kind}: {e.message}" for e in db.scalars(select(SiteEvent).where(SiteEvent.site_id == site.id)
                                                               .order_by(SiteEvent.id)) if e.kind != "enrolled"]
        row = db.get(Site, site.id)
        assert row is not None
        kept = {name: getattr(row, name) for name in ("state", "condition", "version", "alerts_json", "interval_s",
                                                      "last_seq", "mode", "inventory_sha256", "status_json")}
    return answers, events, kept


@pytest.mark.parametrize("steps", list(STEPS.values()), ids=list(STEPS))
def test_the_one_statement_way_leaves_what_the_full_way_leaves(api, client, hub_engine, monkeypatch, steps):
    _publish(api, {"1.0.0": "stable", "1.2.0": "stable"})
    quick = _run(client, hub_engine, steps)
    monkeypatch.setattr(check_ins, "_quiet", lambda *_args: None)
    full = _run(client, hub_engine, steps)
    assert quick == full
    assert quick[0][-1][0] == 200
