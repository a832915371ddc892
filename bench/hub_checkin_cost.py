#!/usr/bin/env python3
"""Where the hub's CPU per check-in goes: its server, its application, and what neither costs
alone (the two sharing one process: threads taking turns for the GIL).

bench/hub_bench.py gives the whole: the CPU one hub process spends per check-in (`hub_ms`). The
goal of 500 check-ins/s from one process leaves it 2 ms of one core each, since its Python
runs on one core at a time. This splits the whole, on the same documents of the same simulated
sites (bench/hub_sites.py), to say which part a change must come from:

  server_ms   the hub's server alone (hub/wsgi_server.py as `python -m hub serve` runs it:
              gunicorn's master and one worker, its threads, the gate, TLS, the access log)
              reading each check-in's body and answering it with a fixed one (bench/hub_floor.py
              hub_server=True), the same clients driving it over loopback HTTPS as the hub
  app_ms      the application alone (hub/app.py's Flask app on the same PostgreSQL, fsync on):
              each check-in's WSGI call in this process, one after another, the CPU of this
              thread around it: what the route, Flask, the signature check and the database
              driver cost with no server and no other thread
  own_work_ms of app_ms, the check-in's own work with no web framework around it, timed between
              the application's calls: the envelope opened (the signature, the JSON) and taken
              into the database (hub/check_ins.py): the hub's own code for it, whatever serves it
  rest_ms     hub_ms - server_ms - app_ms
  stdlib_ms   Python's own threaded HTTPS server answering the same way (bench/hub_floor.py):
              what a server written in Python costs at the least, for comparison with server_ms

And the least a hub in Python could cost, stdlib_ms + own_work_ms (a server and an application
both as lean as can be, nothing lost to their sharing a process), against the 2 ms the goal
leaves on a core of the hub's own and against what it leaves on this host, whose cores the
clients (clients_ms each) and PostgreSQL (postgres_ms) share (bench/hub_figures.py
least_in_python): a positive least_over_host_budget_ms says no hub in Python running this
check-in code reaches the goal here.

Run as root with the tests' set-up (make test's packages, .venv):
    .venv/bin/python bench/hub_checkin_cost.py [--seconds 20]
A readable table, then one JSON line last. The processes, PostgreSQL and the temp folder are
removed on exit.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import hub_bench  # noqa: I001 - sets the import path up
from hub_figures import GOAL_PER_S, cost_split, least_in_python
from hub_sites import SimSite, make_site, payload, status_document
from werkzeug.test import EnvironBuilder

from hub import check_ins
from installer.hub_link.envelope import open_envelope, seal
from installer.stopping import handle_stop_signals
from tests.fixtures.postgres import PostgresServer
from tests.integration.hub.conftest import prepare_hub

APP_SITES, APP_ROUNDS = 200, 10  # the application alone: 2,000 check-ins timed


def _environ(path: str, body: bytes, token: str | None = None) -> dict[str, Any]:
    """The WSGI environ of a POST of `body` to `path` over HTTPS."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return EnvironBuilder(path, "https://127.0.0.1:8443", method="POST", data=body, headers=headers,
                          content_type="application/json").get_environ()


def _call(app: Any, environ: dict[str, Any]) -> dict[str, Any]:
    """The answer of one WSGI call, which must be a 2xx."""
    said: list[str] = []
    body = b"".join(app(environ, lambda status, _headers, _exc=None: said.append(status)))
    if not said[0].startswith("2"):
        raise SystemExit(f"the hub answered {environ['PATH_INFO']} with {said[0]}: {body[:300]!r}")
    return dict(json.loads(body))


def app_alone(pg: PostgresServer, work: Path) -> dict[str, Any]:
    """The application's CPU per check-in, in this process (hub/app.py, no server)."""
    from hub.app import create_app
    from hub.db import make_engine

    hub_bench.say(f"the application alone: {APP_SITES} sites, {APP_SITES * APP_ROUNDS} check-ins in this process…")
    database, data = pg.create_database("hub_app_alone"), work / "hub-app-alone"
    prepare_hub(data, database)
    engine = make_engine(database)
    try:
        app = create_app(engine, data)
        sites, status = [make_site(n) for n in range(APP_SITES)], status_document(0)
        token = hub_bench.enroll_token(data, database)
        for site in sites:  # enrolled and checked in once, as hub_sites.client does
            _call(app, _environ("/api/v1/sites", seal(payload(site, "enroll", status), site.key), token))
            site.hub_holds = _call(app, _check_in(site, status))["inventory_sha256"]
        sessions = app.extensions["hub"].sessions
        calls = [(site, _check_in(site, status), seal(payload(site, "check-in", status), site.key))
                 for _ in range(APP_ROUNDS) for site in sites]
        spent: list[float] = []
        own_work: list[float] = []
        for site, environ, body in calls:  # interleaved, so a change of the host's speed falls on both
            began = time.thread_time()
            _call(app, environ)
            spent.append((time.thread_time() - began) * 1000)
            began = time.thread_time()
            _own_work(sessions, site.id, body)
            own_work.append((time.thread_time() - began) * 1000)
    finally:
        engine.dispose()
    return {"app_ms": round(statistics.fmean(spent), 3), "app_p50_ms": round(statistics.median(spent), 3),
            "app_p10_ms": round(sorted(spent)[len(spent) // 10], 3), "app_check_ins": len(spent),
            "own_work_ms": round(statistics.fmean(own_work), 3), "own_work_p50_ms": round(statistics.median(own_work), 3)}


def _own_work(sessions: Any, site_id: str, body: bytes) -> None:
    """A check-in's own work, as the route does it but with no web framework around it: the
    envelope opened (signature, JSON) and taken into the database (hub/check_ins.py)."""
    with sessions() as session:
        if not check_ins.check_in(session, site_id, open_envelope(body, "the request body")).new:
            raise SystemExit(f"the hub did not take a check-in of {site_id} as new")


def _check_in(site: SimSite, status: dict[str, Any]) -> dict[str, Any]:
    return _environ(f"/api/v1/sites/{site.id}/check-ins", seal(payload(site, "check-in", status), site.key))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20, help="each window (default 20)")
    args = parser.parse_args(argv)
    handle_stop_signals()
    work = Path(tempfile.mkdtemp(prefix="airlift-hub-cost-"))
    pg = PostgresServer(durable=True)
    try:
        whole = hub_bench.check_ins(pg, work, args)
        server, stdlib = hub_bench.floor_figures(work, args, "the hub's server alone", hub_server=True), whole["floor"]
        app = app_alone(pg, work)
    except KeyboardInterrupt:
        print(f"Stopped; PostgreSQL and {work} are removed.", file=sys.stderr)
        return 130
    finally:
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    least = least_in_python(stdlib["server_cpu_ms_each"], app["own_work_ms"], whole["client_cpu_ms_each"],
                            whole["postgres_cpu_ms_each"], whole["host_cores"])
    result = cost_split(whole["hub_cpu_ms_each"], server["server_cpu_ms_each"], app["app_ms"]) | app | least | {
        "checkins_per_s": whole["checkins_per_s"], "hub_cores": whole["hub_cores"],
        "server_alone_per_s": server["checkins_per_s"], "stdlib_ms": stdlib["server_cpu_ms_each"],
        "stdlib_per_s": stdlib["checkins_per_s"], "clients_ms": whole["client_cpu_ms_each"],
        "postgres_ms": whole["postgres_cpu_ms_each"], "host_cores": whole["host_cores"]}
    print(f"CPU per check-in, ms of one core (goal {result['goal_ms']} for {GOAL_PER_S}/s from one process):")
    print(f"  the hub, whole      {result['hub_ms']}  ({result['checkins_per_s']}/s at {result['hub_cores']} cores)")
    print(f"  its server alone    {result['server_ms']}  ({result['server_alone_per_s']}/s; Python's own "
          f"threaded server: {result['stdlib_ms']})")
    print(f"  its app alone       {result['app_ms']}  (median {result['app_p50_ms']}, p10 {result['app_p10_ms']})")
    print(f"    of which its own work  {result['own_work_ms']}  (the envelope and the database, no Flask; "
          f"median {result['own_work_p50_ms']})")
    print(f"  the two together    {result['rest_ms']}  (threads taking turns for the GIL)")
    print(f"  over the goal       {result['over_goal_ms']}")
    print(f"The least a hub in Python could cost: Python's own server {result['stdlib_ms']} + its own work "
          f"{result['own_work_ms']} = {result['least_ms']}")
    print(f"  against {result['own_core_budget_ms']} on a core of its own, and {result['host_budget_ms']} on this "
          f"host, whose {result['host_cores']} cores the clients ({result['clients_ms']} each) and PostgreSQL "
          f"({result['postgres_ms']}) share: {result['least_over_host_budget_ms']:+} over")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
