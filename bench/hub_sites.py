"""Simulated sites for bench/hub_bench.py: each its own Ed25519 key, enrolled through the hub's
API with one enroll token, then checking in with signed envelopes (installer/hub_link/envelope.py,
the sites' own code) over HTTPS pinned to the hub's certificate, a new connection (TCP and a TLS
handshake) for each check-in, as a site's cluster service makes one: its check-ins are minutes
apart, far past any server's keep-alive, and each is sent by a HubClient of its own
(installer/hub_link/actions.py). Like a real site's cluster service, each simulated site keeps its
own TLS context (installer/transfer/pins.py ResumingContext), which offers the hub the session
of the site's last check-in: its first connection is a full handshake, the later ones resume
(the hub's ticket is valid for two hours, a site checks in every few minutes).

One client process (`client`) owns a slice of the sites: it connects them (enrolls each and
checks it in once, as `./install hub connect` does, so the window sees sites already online and
holding the TLS session of their last check-in, as a fleet that has been checking in does),
seals SEALED_AHEAD check-ins for each site (a real site seals its documents on its own machine,
not on the hub's, so the window spends the host's cores on sending them, not on making them; the
inventory is its digest alone by then, as the hub named it), says it is ready, waits for the
window to open, then runs its threads (each over its own sites, so their sequence numbers need no
lock) until the window closes, and sends back every latency,
the errors and the CPU seconds it spent inside the window.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import signal
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from installer.bundle.signature import public_key_of
from installer.hub_link.envelope import inventory_digest, inventory_part, now_iso, seal, site_id
from installer.transfer.pins import ResumingContext, connect_pinned

INVENTORY_DIGESTS = 300
SEALED_AHEAD = 40  # check-ins sealed for each site before the window: more than a site sends in it
TIMEOUT_S = 30


@dataclass(frozen=True)
class Plan:
    """What one client process does."""

    url: str
    fingerprint: str  # hex
    enroll_token: str
    first_site: int
    sites: int
    connections: int
    seconds: float
    floor: bool = False  # the do-nothing server of bench/hub_floor.py: it names no inventory digest


@dataclass
class Outcome:
    """What one client process sends back."""

    latencies_ms: list[float] = field(default_factory=list)  # one per answer
    errors: Counter[str] = field(default_factory=Counter)  # "HTTP 409", or the exception of a request unanswered
    cpu_s: float = 0.0
    sent_bytes: int = 0  # the documents' bytes, every request sent


@dataclass
class SimSite:
    key: Ed25519PrivateKey
    id: str
    inventory: list[str]
    tls: ResumingContext  # the site's own, as its cluster service keeps one per hub
    seq: int = 0
    hub_holds: str | None = None  # the inventory digest the hub's last answer named
    sealed: deque[bytes] = field(default_factory=deque)  # check-ins sealed before the window, oldest first


def status_document(number: int) -> dict[str, Any]:
    """A `./install status --json` document of a healthy three-node site, as the installer's
    installer/status/install.py shapes it (plan phases, nodes, registry, health checks)."""
    nodes = [{"name": f"node-{i}", "address": f"10.0.{number % 250}.{10 + i}", "role": "master" if i == 0 else "node",
              "profile": "master" if i == 0 else "worker", "ready": True, "installer_version": "1.4.0",
              "k3s_version": "v1.30.6+k3s1", "cpu": 8, "memory_mb": 32768, "disk_free_gb": 180} for i in range(3)]
    phases = [{"id": f"/{name}", "state": "completed", "started": now_iso(), "finished": now_iso(), "attempts": 1,
               "description": f"{name.replace('-', ' ')} on every node", "error": None}
              for name in ("checks", "configure", "runtime", "registry", "images", "cluster", "join-node-1",
                           "join-node-2", "storage", "application", "hooks", "monitoring", "panel", "finish")]
    checks = [{"name": name, "ok": True, "detail": f"{name} is fine"} for name in
              ("runtime", "registry", "nodes", "application", "certificates", "disk", "clock", "licence")]
    return {
        "app": {"name": "bench", "version": "1.0.0", "description": "a site of the hub bench"},
        "runtime": {"name": "k3s", "version": "v1.30.6+k3s1", "running": True,
                    "nodes": [{"name": n["name"], "ready": True} for n in nodes]},
        "installer": {"version": "1.4.0"},
        "plan": {"id": f"install-{number}", "state": "completed", "phases": phases},
        "registry": {"address": "10.0.0.10:5000", "running": True, "blobs": INVENTORY_DIGESTS, "bytes": 5 << 30},
        "endpoints": [{"name": "web", "url": f"https://10.0.{number % 250}.10:{30000 + i}"} for i in range(4)],
        "answers": {"advertise_addr": f"10.0.{number % 250}.10", "registry_port": 5000, "panel_port": 3009,
                    "flavor": "three", "hub_interval": 300},
        "nodes": nodes,
        "operations": [{"id": f"op-{i}", "kind": "install", "state": "completed"} for i in range(3)],
        "join": {"open": False}, "cluster_service": {"running": True},
        "status_hook": {"ok": True, "output": "all good"}, "monitoring": {"enabled": True, "alerts": []},
        "panel": {"url": f"https://10.0.{number % 250}.10:3009", "running": True},
        "licence": {"customer": f"customer {number}", "valid": True, "max_nodes": 5},
        "hub": {"url": "https://hub.example:8443", "site_id": "", "last_check_in": now_iso()},
        "health": checks, "condition": "healthy", "reasons": [], "healthy": True,
    }


def make_site(number: int) -> SimSite:
    key = Ed25519PrivateKey.generate()
    rnd = random.Random(number)
    inventory = sorted(hashlib.sha256(rnd.randbytes(16)).hexdigest() for _ in range(INVENTORY_DIGESTS))
    return SimSite(key, site_id(public_key_of(key)), inventory, ResumingContext())


def payload(site: SimSite, kind: str, status: dict[str, Any]) -> dict[str, Any]:
    site.seq += 1
    release = {"name": "bench", "version": "1.0.0", "index_sha256": "ab" * 32}
    return {"format": 1, "kind": kind, "site": site.id, "seq": site.seq, "sent_at": now_iso(), "interval_s": 300,
            "hostname": f"{site.id}.example", "application": "bench", "release": release, "status": status,
            "alerts": [], **inventory_part(site.inventory, site.hub_holds)}


def document_bytes(number: int = 0) -> int:
    """The size of one check-in's envelope, for the report."""
    site = make_site(number)
    return len(seal(payload(site, "check-in", status_document(number)), site.key))


def post(conn: http.client.HTTPSConnection, path: str, body: bytes, token: str | None = None,
         last: bool = False) -> tuple[int, bytes]:
    """POST `body`; `last`: the connection's only request, as a site's HubClient sends it (Connection: close)."""
    headers = ({"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
               | ({"Connection": "close"} if last else {}))
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def _check_in(plan: Plan, site: SimSite, body: bytes) -> tuple[int, dict[str, Any]]:
    """One check-in on a connection of its own, made with the site's TLS context (it resumes the
    session of the site's last check-in); the site keeps the inventory digest the answer names,
    as installer/hub_link/link.py record_check_in does."""
    conn = connect_pinned(plan.url, plan.fingerprint, TIMEOUT_S, TIMEOUT_S, site.tls)
    try:
        code, body = post(conn, f"/api/v1/sites/{site.id}/check-ins", body, last=True)
    finally:
        conn.close()
    answer = json.loads(body) if code == 200 else {"error": body[:200].decode(errors="replace")}
    if code == 200:
        site.hub_holds = inventory_digest(site.inventory) if plan.floor else answer.get("inventory_sha256")
    return code, answer


def client(plan: Plan, ready: Queue, start: Event, results: Queue) -> None:
    """One client process (the target of a multiprocessing.Process)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the bench's own handler raises: stop quietly instead
    sites = [make_site(n) for n in range(plan.first_site, plan.first_site + plan.sites)]
    status = status_document(plan.first_site)
    conn = connect_pinned(plan.url, plan.fingerprint, TIMEOUT_S, TIMEOUT_S)
    for site in sites:  # as `./install hub connect` does: enroll, then check in once
        code, body = post(conn, "/api/v1/sites", seal(payload(site, "enroll", status), site.key), plan.enroll_token)
        if code == 201:
            code, answer = _check_in(plan, site, seal(payload(site, "check-in", status), site.key))
            body = json.dumps(answer).encode()
        if code not in (200, 201):
            raise SystemExit(f"connecting {site.id} failed: HTTP {code} {body[:200]!r}")
    conn.close()
    for site in sites:
        site.sealed.extend(seal(payload(site, "check-in", status), site.key) for _ in range(SEALED_AHEAD))
    outcome = Outcome()
    ready.put(os.getpid())
    start.wait()
    cpu_before, deadline = time.process_time(), time.monotonic() + plan.seconds
    each = [Outcome() for _ in range(plan.connections)]
    threads = [threading.Thread(target=_drive, args=(plan, sites[i::plan.connections], status, deadline, each[i]))
               for i in range(plan.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome.cpu_s = time.process_time() - cpu_before
    for part in each:
        outcome.latencies_ms += part.latencies_ms
        outcome.errors += part.errors
        outcome.sent_bytes += part.sent_bytes
    results.put(outcome)


def _drive(plan: Plan, sites: list[SimSite], status: dict[str, Any], deadline: float, outcome: Outcome) -> None:
    """Check in each of `sites` in turn, one request at a time, until `deadline`; into this
    thread's own `outcome`, so no lock is needed."""
    turn = 0
    while time.monotonic() < deadline:
        site = sites[turn % len(sites)]
        turn += 1
        body = site.sealed.popleft() if site.sealed else seal(payload(site, "check-in", status), site.key)
        outcome.sent_bytes += len(body)
        sent = time.perf_counter()
        try:
            code, answer = _check_in(plan, site, body)
        except (OSError, http.client.HTTPException) as e:
            outcome.errors[type(e).__name__] += 1
            continue
        outcome.latencies_ms.append((time.perf_counter() - sent) * 1000)
        if code != 200 or not answer.get("taken"):
            outcome.errors[f"HTTP {code}"] += 1
