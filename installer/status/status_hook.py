"""The status hook's record: what the cluster service last found, as `./install status` reads it.

The cluster service (installer/cluster_service/status_hook.py) writes `<state>/status-hook.json`
atomically after every run and when it pauses; everything here reads that file and the clock
only, so `status`, the support report or a metrics exporter can ask without the cluster service.

Record (JSON):
  format: 1, interval_s: seconds between runs, since: when the cluster service began running it
  paused: {since, why} | null   an operation (expand, remove, upgrade, ...) holds the runs back
  last:   {ok, job, started, finished, duration_s, exit_code, reason, log: [last lines]} | null
"""

from __future__ import annotations

import json
from pathlib import Path

from installer.host import Host

FORMAT = 1
STALE_INTERVALS = 3  # no result for this many intervals: the hook is not being run


def write_record(path: Path, record: dict) -> None:
    """Replace the record whole (a reader never sees half of one)."""
    Host().write_file(path, json.dumps({"format": FORMAT, **record}, indent=1))


def read_record(path: Path) -> dict | None:
    """The saved record, or None when there is none (or it cannot be read)."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("format") == FORMAT else None


def hook_metric(path: Path, now: float) -> dict | None:
    """{ok, age_s, duration_s} of the last run (ok None and the others None before the first),
    or None when no status hook is run; what a metrics exporter turns into gauges."""
    record = read_record(path)
    if record is None:
        return None
    last = record.get("last")
    if not last:
        return {"ok": None, "age_s": None, "duration_s": None}
    return {"ok": bool(last["ok"]), "age_s": max(0.0, now - float(last["finished"])),
            "duration_s": float(last["duration_s"])}


def hook_health(record: dict | None, now: float) -> dict:
    """{state, ok, detail, last} for `./install status`. state: "ok", "failed", "stale" (no
    result for STALE_INTERVALS intervals), "paused" (an operation runs), "pending" (no result yet,
    or the cluster service never ran it); only failed and stale are not ok."""
    if record is None:
        return {"state": "pending", "ok": True, "detail": "no result yet (the cluster service runs it)", "last": None}
    last, paused, interval = record.get("last"), record.get("paused"), float(record["interval_s"])
    if paused:
        return {"state": "paused", "ok": True, "last": last,
                "detail": f"paused since {_ago(now, paused['since'])}: {paused['why']}"}
    since = float(last["finished"]) if last else float(record["since"])
    if now - since > STALE_INTERVALS * interval:
        seen = f"the last result {_ago(now, since)}" if last else f"none since the cluster service began {_ago(now, since)}"
        return {"state": "stale", "ok": False, "last": last,
                "detail": f"no result for {STALE_INTERVALS} intervals of {interval:.0f} s ({seen}); "
                          "check that the cluster service runs (its log says why)"}
    if last is None:
        return {"state": "pending", "ok": True, "detail": "no result yet", "last": None}
    if last["ok"]:
        return {"state": "ok", "ok": True, "last": last,
                "detail": f"passed {_ago(now, last['finished'])} in {last['duration_s']:.1f} s"}
    code = f", exit code {last['exit_code']}" if last.get("exit_code") is not None else ""
    return {"state": "failed", "ok": False, "last": last,
            "detail": f"failed {_ago(now, last['finished'])}{code}: {last['reason']}"}


def _ago(now: float, then: float) -> str:
    seconds = max(0, int(now - float(then)))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"
