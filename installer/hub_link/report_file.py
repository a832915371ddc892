"""`./install report --for-hub -o site.airlift`: the signed report an offline site carries to its
hub. Same envelope and key as a check-in (kind "report"), with the events since the previous
report file: operations that began or ended, the version and the health that changed. The
hub takes it like a check-in, and the same file twice changes nothing there."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from installer.errors import AirliftError
from installer.host import Host
from installer.hub_link import document
from installer.hub_link.envelope import now_iso, seal, site_id
from installer.hub_link.link import ensure_key, locked, next_seq, read_link, read_state
from installer.services import ServiceManager
from installer.statedir import StateDir


@dataclass(frozen=True)
class Written:
    path: Path
    site_id: str
    seq: int
    events: int


def write_report(state_dir: Path, host: Host, services: ServiceManager, out: Path, interval: int) -> Written:
    """Write the signed report to `out` (never over an existing file). A site that never
    connected gets its key here: the hub learns it from the file."""
    if out.exists():
        raise AirliftError(f"{out} already exists", hint="choose another file name with -o; nothing was written")
    paths = StateDir(state_dir)
    private, public = ensure_key(paths)
    link = read_link(paths)
    site = link.site_id if link else site_id(public)
    seq = next_seq(paths)
    body = document.payload("report", site, seq, interval, state_dir, host, services)
    summary = summarise(body.get("status"))
    body["events"] = report_events(read_state(paths).get("last_report"), summary, body["sent_at"])
    data = seal(body, private)
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as e:
        raise AirliftError(f"Cannot write {out} ({e.strerror})", hint="choose a folder you can write to with -o") from None
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    with locked(paths) as state:
        state["last_report"] = {"seq": seq, "at": body["sent_at"], "file": str(out), **summary}
    return Written(out, site, seq, len(body["events"]))


def summarise(status: dict[str, Any] | None) -> dict[str, Any]:
    """What the next report compares against: version, health and the operations' states."""
    status = status or {}
    return {"version": (status.get("app") or {}).get("version"), "condition": status.get("condition"),
            "reasons": list(status.get("reasons") or []),
            "operations": {str(op["id"]): f"{op.get('kind')} {op.get('node')}: {op.get('state')}"
                           for op in status.get("operations") or [] if isinstance(op, dict) and "id" in op}}


def report_events(last: dict[str, Any] | None, now: dict[str, Any], at: str | None = None) -> list[dict[str, str]]:
    """The events between the previous report's summary `last` and `now`."""
    at = at or now_iso()
    if last is None:
        return [_event(at, "first-report", f"first report of this site (version {now['version']}, "
                                            f"health {now['condition']})")]
    events = []
    if last.get("version") != now["version"]:
        events.append(_event(at, "version", f"version {last.get('version')} -> {now['version']}"))
    if last.get("condition") != now["condition"]:
        why = f": {'; '.join(now['reasons'])}" if now["reasons"] else ""
        events.append(_event(at, "health", f"health {last.get('condition')} -> {now['condition']}{why}"))
    before = last.get("operations") or {}
    events += [_event(at, "operation", f"operation {op_id} ({text})")
               for op_id, text in now["operations"].items() if before.get(op_id) != text]
    return events


def _event(at: str, kind: str, message: str) -> dict[str, str]:
    return {"at": at, "kind": kind, "message": message}
