#!/usr/bin/env python3
"""One hub process on PostgreSQL: how many site check-ins per second it takes, and what publishing
a 500 MB bundle costs against a plain upload of the same bytes.

Everything runs on this host over loopback HTTPS, the hub as it is served (`python -m hub serve`,
one process, started as tests/integration/hub/conftest.py starts it), on a real PostgreSQL started
as the tests start it (tests/fixtures/postgres.py: Debian's server as the `postgres` user on a Unix
socket in a temp folder), but with fsync on, as a production database runs.

Check-ins (goal >= 500/s with p99 < 100 ms): --sites (1,000) simulated sites, each with its own
Ed25519 key, enroll through the API (POST /api/v1/sites, one enroll token admitting any number of
sites) and check in once, as `./install hub connect` does; then --clients processes of
--connections threads each post signed check-ins (bench/hub_sites.py: the sites' own envelope
code; a `status --json` document of a three-node site, and an inventory of 300 digests sent whole
at a site's first check-in, then as its digest alone, as a site sends it once the hub names the
digest it holds) for
--seconds, one request in flight per thread, each check-in on a new TLS connection as a real site
sends it (its check-ins are minutes apart; the hub's keep-alive is seconds), resuming the TLS
session of the site's previous check-in as a real site's cluster service does (each simulated site
keeps its own TLS context, installer/transfer/pins.py ResumingContext; a restarted hub, or a site's
first check-in, makes a full handshake). Printed: accepted check-ins per second, p50/p99/max latency of the
answers (from the client, so a client's own queueing counts), errors, the CPU the hub (gunicorn's master and its one worker process),
PostgreSQL and the clients used over the window, and that CPU per check-in: the hub's is what
bounds one process (its Python runs on one core at a time) however idle the host. Then the same
clients send the same documents to the floor (bench/hub_floor.py: Python's threaded HTTPS server
reading each body and answering at once, on the same TLS settings): `checkins_vs_floor` is the
hub's rate over the floor's, which on a host whose cores the clients share says what share of what
this host can carry at all the hub reaches.

Publish (goal publish_vs_upload <= 1.2): a bundle of 500 MB of random image layers built with
build.py (as bench/upgrade_bench.py builds: in this process, the installer frozen before), then
--rounds rounds, each on a new hub process with a new database and data folder (so the hub holds
none of the blobs), alternating which side goes first:
  publish_s  what `build.py --publish` runs after the build (airlift_build.publish_args.publish_built):
             which blobs are missing, the big ones one resumable PUT each from its place in the
             tarball while the small ones go in batches on a second connection, the release
             committed
  upload_s   the floor: `curl -T` of one file holding the very bytes the publisher sends (every
             distinct carried file, concatenated) as ONE blob, one PUT /api/v1/blobs/<sha256> to
             the same hub process over the same TLS endpoint; the hub appends, fsyncs and hashes
             it as it does each of the publisher's blobs
Medians are kept; `publish_vs_upload` = publish_s / upload_s with the spread of the rounds' ratios.

Run as root (PostgreSQL runs as `postgres`) with the tests' set-up (make test's packages, .venv):
    .venv/bin/python bench/hub_bench.py [--seconds 30] [--clients 4] [--connections 4] [--rounds 3]
A readable table, then one JSON line last. The hub processes, PostgreSQL and the temp folder are
removed on exit, Ctrl-C and SIGTERM too.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import queue as queue_module
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "packaging"), str(REPO), str(Path(__file__).resolve().parent)]

from hub_figures import check_in_figures, cores, cpu_ms_each, median_ratio, per_core, ratio  # noqa: E402 - after the path set-up above
from hub_floor import running_floor  # noqa: E402
from hub_sites import Outcome, Plan, client, document_bytes  # noqa: E402
from upgrade_bench import build, image, make_app, random_layer  # noqa: E402

from installer.stopping import handle_stop_signals  # noqa: E402
from tests.fixtures.lab import frozen_standin  # noqa: E402
from tests.fixtures.postgres import PostgresServer  # noqa: E402
from tests.fixtures.standin_version import DEFAULT_VERSION  # noqa: E402
from tests.integration.hub.conftest import HubProcess, hub_command, prepare_hub, running_hub  # noqa: E402

IMAGES_MB, LAYER_MB = 400, 50  # with the runtime and the frozen installer, a bundle of about 520 MB
TICK = os.sysconf("SC_CLK_TCK")


# --- CPU of processes -----------------------------------------------------------------------------

def _stat(pid: int | str) -> list[str]:
    """/proc/PID/stat's fields after the command name: [0] state, [1] ppid, [11:15] utime,
    stime, cutime, cstime."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds of `root`, of its children that ended (it waited for them) and of its live
    children: PostgreSQL's postmaster and its backends, however short-lived; the hub's master
    and its worker."""
    fields = _stat(root)
    total = sum(int(f) for f in fields[11:15]) / TICK
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            child = _stat(stat.parent.name)
        except OSError:
            continue
        if int(child[1]) == root:
            total += (int(child[11]) + int(child[12])) / TICK
    return total


# --- check-ins -----------------------------------------------------------------------------------

def enroll_token(data: Path, database: str) -> str:
    made = subprocess.run(hub_command("token", "create", "--scope", "enroll", "--uses", "0", data=data,
                                      database=database), cwd=REPO, capture_output=True, text=True,
                          timeout=60, check=True)
    return made.stdout.strip().splitlines()[-1]


def check_ins(pg: PostgresServer, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The hub's figures, then the floor's (bench/hub_floor.py) with the same clients and documents."""
    database, data = pg.create_database("hub_checkins"), work / "hub-checkins"
    token = prepare_hub(data, database)
    per_client = args.sites // args.clients
    with running_hub(data, database, token) as hub:
        plans = [Plan(hub.url, hub.fingerprint.removeprefix("SHA256:"), enroll_token(data, database),
                      i * per_client, per_client, args.connections, args.seconds) for i in range(args.clients)]
        figures = _drive_clients(plans, hub.proc.pid, pg.postmaster_pid(), args.seconds, "the hub")
    floored = floor_figures(work, args, "the floor")
    return _hub_names(figures) | {"postgres_fsync": pg.durable, "floor": floored,
                                  "checkins_vs_floor": ratio(figures["checkins_per_s"], floored["checkins_per_s"])}


def floor_figures(work: Path, args: argparse.Namespace, label: str, hub_server: bool = False) -> dict[str, Any]:
    """The same clients and documents to the floor (bench/hub_floor.py; `hub_server`: served by
    the hub's own server)."""
    per_client = args.sites // args.clients
    with running_floor(work, hub_server) as floor:
        plans = [Plan(floor.url, floor.fingerprint, "", i * per_client, per_client, args.connections, args.seconds,
                      floor=True) for i in range(args.clients)]
        return _drive_clients(plans, floor.pid, None, args.seconds, label)


def _hub_names(figures: dict[str, Any]) -> dict[str, Any]:
    """The server's figures under the hub's names."""
    renamed = {"server_cores": "hub_cores", "server_cpu_ms_each": "hub_cpu_ms_each",
               "server_one_core_per_s": "hub_one_core_per_s"}
    return {renamed.get(name, name): value for name, value in figures.items()}


def say(text: str) -> None:
    """Progress, on stderr: the table and the JSON line on stdout stay the run's result."""
    print(text, file=sys.stderr, flush=True)


def _drive_clients(plans: list[Plan], server: int, postgres: int | None, seconds: float, label: str) -> dict[str, Any]:
    """Run the client processes of `plans` over one window; the CPU of the `server` process tree
    (and of PostgreSQL's, when given) is counted over that window."""
    ctx = multiprocessing.get_context("fork")
    ready, start, results = ctx.Queue(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=client, args=(plan, ready, start, results), daemon=True) for plan in plans]
    try:
        say(f"{label}: {sum(p.sites for p in plans)} sites connecting from {len(procs)} client processes…")
        began = time.monotonic()
        for proc in procs:
            proc.start()
        for _ in procs:
            _from_clients(ready, procs, 600)
        connect_s = time.monotonic() - began
        server_cpu, pg_cpu = tree_cpu_seconds(server), tree_cpu_seconds(postgres) if postgres else 0.0
        say(f"{label}: {seconds:.0f} s of check-ins on {len(procs) * plans[0].connections} connections…")
        opened = time.monotonic()
        start.set()
        outcomes: list[Outcome] = [_from_clients(results, procs, seconds + 120) for _ in procs]
        wall = time.monotonic() - opened
        server_cpu = tree_cpu_seconds(server) - server_cpu
        pg_cpu = tree_cpu_seconds(postgres) - pg_cpu if postgres else 0.0
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
            proc.join(timeout=10)
    latencies = [ms for o in outcomes for ms in o.latencies_ms]
    errors = sum((o.errors for o in outcomes), start=Counter())
    refused = sum(n for kind, n in errors.items() if kind.startswith("HTTP"))
    figures = check_in_figures(latencies, refused, sum(errors.values()) - refused, seconds)
    sites, accepted = sum(p.sites for p in plans), int(figures["accepted"] or 0)
    client_cpu = sum(o.cpu_s for o in outcomes)
    server_ms = cpu_ms_each(server_cpu, accepted)
    return figures | {
        "sites": sites, "connect_per_s": round(sites / connect_s, 1), "window_s": seconds,
        "client_processes": len(plans), "connections": len(plans) * plans[0].connections,
        "document_bytes": document_bytes(), "sent_bytes_each": round(sum(o.sent_bytes for o in outcomes) / len(latencies))
        if latencies else None, "error_kinds": dict(errors),
        "server_cores": cores(server_cpu, wall), "client_cores": cores(client_cpu, seconds), "host_cores": os.cpu_count(),
        "server_cpu_ms_each": server_ms, "client_cpu_ms_each": cpu_ms_each(client_cpu, accepted),
        "server_one_core_per_s": per_core(server_ms), "host_load": round(os.getloadavg()[0], 1),
    } | ({"postgres_cores": cores(pg_cpu, wall), "postgres_cpu_ms_each": cpu_ms_each(pg_cpu, accepted)}
         if postgres else {})


def _from_clients(queue: Any, procs: list[Any], timeout_s: float) -> Any:
    """The next item a client process puts on `queue`; a client that ended before (its own error
    printed above) stops the bench at once, not after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return queue.get(timeout=1)
        except queue_module.Empty:
            if ended := [p for p in procs if p.exitcode not in (None, 0)]:
                raise SystemExit(f"client process {ended[0].pid} ended with exit code {ended[0].exitcode} "
                                 "(its error is printed above); the bench stops") from None
            if time.monotonic() > deadline:
                raise SystemExit(f"the client processes sent nothing for {timeout_s:.0f} s; the bench stops") from None


# --- publish -------------------------------------------------------------------------------------

def build_bundle(work: Path) -> Path:
    """A bundle of one image of IMAGES_MB of random 50 MB layers, built with build.py."""
    layout = work / "oci"
    (layout / "blobs" / "sha256").mkdir(parents=True)
    layers = [random_layer(layout, LAYER_MB) for _ in range(IMAGES_MB // LAYER_MB)]
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    manifest = image(layout, "docker.io/bench/app:1.0.0", layers)
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [manifest]}))
    out = work / "bench-1.0.0.tar"
    build(make_app(work / "app", "1.0.0"), out, frozen_standin(REPO, DEFAULT_VERSION), layout)
    shutil.rmtree(layout)
    return out


def floor_file(tar: Path, out: Path) -> tuple[str, int]:
    """Every distinct file the publisher sends, concatenated from its place in the tarball: the
    floor's one blob. Returns its sha256 and how many files it joins."""
    from airlift_build.publish import read_tar

    from installer.bundle.index import Index

    bundle = read_tar(tar)
    stored = {e.sha256: e.stored_path for e in Index.from_json(bundle.index_bytes).carried}
    digest = hashlib.sha256()
    with open(tar, "rb") as source, open(out, "wb") as dest:
        for path in stored.values():
            member = bundle.members[path]
            source.seek(member.offset)
            left = member.size
            while left and (chunk := source.read(min(left, 1 << 20))):
                dest.write(chunk)
                digest.update(chunk)
                left -= len(chunk)
    return digest.hexdigest(), len(stored)


def publish_once(hub: HubProcess, tar: Path) -> float:
    from airlift_build.publish import PublishTarget
    from airlift_build.publish_args import publish_built

    began = time.monotonic()
    publish_built(PublishTarget(hub.url, hub.token, None, hub.fingerprint), tar, quiet=True)
    return time.monotonic() - began


def upload_once(hub: HubProcess, blob: Path, sha256: str) -> float:
    size = blob.stat().st_size
    began = time.monotonic()
    done = subprocess.run(["curl", "-sS", "--fail-with-body", "-k", "-T", str(blob), "-H", "Expect:",
                           "-H", f"Authorization: Bearer {hub.token}", "-H", f"Content-Range: bytes 0-{size - 1}/{size}",
                           f"{hub.url}/api/v1/blobs/{sha256}"], capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - began
    if done.returncode != 0 or not json.loads(done.stdout).get("complete"):
        raise SystemExit(f"the plain upload failed: {done.stdout} {done.stderr}")
    return seconds


def _warm(hub: HubProcess) -> None:
    """One signed-in API call to a new hub process before either side is timed, as a hub that has
    been running has answered some: its first request builds what later ones reuse (the token
    check's compiled SQL, the database pool's first connection)."""
    hub.session().post(f"{hub.url}/api/v1/blobs/missing", json={"sha256": []}, timeout=30).raise_for_status()


def publish(pg: PostgresServer, work: Path, rounds: int) -> dict[str, Any]:
    say(f"publish: building a bundle of {IMAGES_MB} MB of random layers…")
    tar = build_bundle(work)
    blob = work / "floor.bin"
    sha256, files = floor_file(tar, blob)
    times: dict[str, list[float]] = {"publish_s": [], "upload_s": []}
    received: dict[str, int] = {}
    for i in range(rounds):
        say(f"publish: round {i + 1} of {rounds}…")
        database, data = pg.create_database(f"hub_publish_{i}"), work / f"hub-publish-{i}"
        with running_hub(data, database, prepare_hub(data, database)) as hub:
            _warm(hub)
            sides = [("publish_s", lambda: publish_once(hub, tar)), ("upload_s", lambda: upload_once(hub, blob, sha256))]
            for name, side in sides if i % 2 == 0 else sides[::-1]:
                os.sync()  # the other side's 500 MB written back first, not while this one runs
                before = hub.stats()["blob_bytes_received"]
                times[name].append(side())
                received[name] = hub.stats()["blob_bytes_received"] - before
        shutil.rmtree(data)
    if received["publish_s"] != received["upload_s"]:
        raise SystemExit(f"the two sides sent different bytes: {received}")
    ratio, spread = median_ratio(times["publish_s"], times["upload_s"])
    publish_s, upload_s = (round(sorted(t)[len(t) // 2], 2) for t in times.values())
    return {"publish_vs_upload": ratio, "publish_vs_upload_spread": spread, "publish_s": publish_s,
            "upload_s": upload_s, "publish_mb_per_s": round(received["publish_s"] / 1e6 / publish_s, 1),
            "bundle_bytes": tar.stat().st_size, "sent_bytes": received["publish_s"], "files": files,
            "ms_per_file_over_floor": round((publish_s - upload_s) * 1000 / files, 1), "rounds": rounds}


# --- the run -------------------------------------------------------------------------------------

def print_table(result: dict[str, Any]) -> None:
    c, p = result["check_ins"], result["publish"]
    if c is not None:
        print_check_ins(c)
    if p is not None:
        print_publish(p)


def print_check_ins(c: dict[str, Any]) -> None:
    print(f"check-ins: {c['sites']} sites connected through the API (enroll, one check-in) at {c['connect_per_s']}/s; "
          f"{c['client_processes']} client processes x {c['connections'] // c['client_processes']} connections, "
          f"{c['window_s']} s, {c['document_bytes']} bytes a document with its inventory, "
          f"{c['sent_bytes_each']} sent on average")
    print(f"  accepted          {c['checkins_per_s']}/s ({c['accepted']} in all; goal >= 500/s)")
    print(f"  latency           p50 {c['p50_ms']} ms, p99 {c['p99_ms']} ms (goal < 100 ms), max {c['max_ms']} ms")
    print(f"  errors            {c['errors']} {c['error_kinds'] or ''}")
    print(f"  CPU (cores)       hub {c['hub_cores']}, PostgreSQL {c['postgres_cores']}, "
          f"clients {c['client_cores']} of {c['host_cores']} (load {c['host_load']}); "
          f"PostgreSQL fsync {'on' if c['postgres_fsync'] else 'off'}")
    print(f"  CPU per check-in  hub {c['hub_cpu_ms_each']} ms, PostgreSQL {c['postgres_cpu_ms_each']} ms, "
          f"client {c['client_cpu_ms_each']} ms; one hub process on a core of its own: "
          f"{c['hub_one_core_per_s']}/s at most")
    f = c["floor"]
    print(f"  floor             {f['checkins_per_s']}/s, p99 {f['p99_ms']} ms: the same clients and documents to a "
          f"do-nothing HTTPS server (bench/hub_floor.py, {f['server_cpu_ms_each']} ms CPU each; clients "
          f"{f['client_cpu_ms_each']} ms)")
    print(f"  checkins_vs_floor {c['checkins_vs_floor']}")


def print_publish(p: dict[str, Any]) -> None:
    print(f"publish: {p['bundle_bytes'] / 1e6:.0f} MB bundle, {p['sent_bytes'] / 1e6:.0f} MB sent in {p['files']} "
          f"files, {p['rounds']} rounds")
    print(f"  build.py --publish {p['publish_s']} s ({p['publish_mb_per_s']} MB/s)")
    print(f"  curl -T one blob   {p['upload_s']} s")
    print(f"  per file           {p['ms_per_file_over_floor']} ms over the floor, {p['files']} files")
    print(f"  publish_vs_upload  {p['publish_vs_upload']} (rounds {p['publish_vs_upload_spread']}; goal <= 1.2)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4, help="client processes (default 4)")
    parser.add_argument("--connections", type=int, default=4, help="threads per client, each with one request in flight (default 4)")
    parser.add_argument("--seconds", type=float, default=30, help="the check-in window (default 30)")
    parser.add_argument("--rounds", type=int, default=3, help="publish rounds (default 3)")
    parser.add_argument("--no-fsync", action="store_true",
                        help="PostgreSQL with fsync off, as the tests run it: what the disk costs")
    parser.add_argument("--only", choices=("check-ins", "publish"), help="run one half only")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("bench/hub_bench.py starts PostgreSQL as the postgres user: run it as root")
    handle_stop_signals()
    work = Path(tempfile.mkdtemp(prefix="airlift-hub-bench-"))
    pg: PostgresServer | None = None
    try:
        pg = PostgresServer(durable=not args.no_fsync)
        result: dict[str, Any] = {
            "check_ins": check_ins(pg, work, args) if args.only != "publish" else None,
            "publish": publish(pg, work, args.rounds) if args.only != "check-ins" else None}
    except KeyboardInterrupt as stop:
        print(f"Stopped ({str(stop) or 'Ctrl-C'}); the hub, PostgreSQL and {work} are removed.", file=sys.stderr)
        return 130
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    print_table(result)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
