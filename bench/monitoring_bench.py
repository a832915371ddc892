#!/usr/bin/env python3
"""What monitoring costs an idle site, and how long the support report takes.

The hello bundle is installed on this host as the integration tests install (temp root and state
dir, the k3s stand-in; bench/upgrade_site.py) and joined by two workers in network namespaces (a
3-node site, `--workers` to change), so the first master's Prometheus scrapes every node's exporter
across a real bridge. It is left SETTLE_S to settle, then the first master is watched for a window
(default 5 minutes, `--seconds` to shorten), sampled every SAMPLE_S:
- `monitoring_rss_mb_peak` (goal <= 150) and `_mean`: resident memory summed over the processes
  of airlift-prometheus, airlift-alertmanager and airlift-node-exporter (each service's main
  process and its descendants, what its systemd cgroup would hold); `rss_mb_peak_by_service`.
  Under the supervised manager each service also has a supervisor (Airlift's, not monitoring):
  `supervisor_rss_mb_peak`, for context only.
- `monitoring_cpu_percent`: their CPU time over the window, in percent of one core;
  `cpu_percent_by_service`. `restarted` names a service whose process changed meanwhile.
Then `./install report` runs as an operator runs it: `report_s` (goal <= 30), `report_bytes`,
`report_files`, and `report_has_metrics` (its metrics/ from Prometheus).

Run as root on a host with the integration tests' set-up (make test's packages and .venv):
    .venv/bin/python bench/monitoring_bench.py [--seconds 300] [--workers 2]
A readable table, then one JSON line last. The site is uninstalled on exit, failure, Ctrl-C and
SIGTERM (installer.stopping's handlers), and its temp folder removed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "packaging"), str(REPO), str(Path(__file__).resolve().parent)]

from monitoring_figures import Processes, cpu_seconds, rss_bytes, service_processes  # noqa: E402
from upgrade_site import site  # noqa: E402

from installer.bundle import safe_extract  # noqa: E402
from installer.host import Host  # noqa: E402
from installer.services.names import MONITORING  # noqa: E402
from installer.stopping import handle_stop_signals  # noqa: E402
from tests.fixtures.build_fixtures import HELLO, build_hello  # noqa: E402
from tests.fixtures.lab import frozen_standin  # noqa: E402
from tests.integration.installer_run import Target  # noqa: E402

GOAL_RSS_MB = 150
GOAL_REPORT_S = 30
SETTLE_S = 30   # Prometheus replays its WAL and loads its rules first: that is start-up, not idle
SAMPLE_S = 5
MB = 1 << 20


def mb(n: float) -> float:
    return round(n / MB, 1)


def watch(host: Host, seconds: float) -> dict:
    """Memory and CPU of the monitoring services over `seconds`."""
    procs = {name: service_processes(host, name) for name in MONITORING}
    missing = [name for name, p in procs.items() if not p.service]
    if missing:
        raise RuntimeError(f"monitoring services not running after the install: {', '.join(missing)}")
    cpu_before, start = {name: cpu_seconds(p.service) for name, p in procs.items()}, time.monotonic()
    peaks = dict.fromkeys(procs, 0)
    totals, supervisors = [], []
    while True:
        rss = {name: rss_bytes(p.service) for name, p in procs.items()}
        peaks = {name: max(peaks[name], rss[name]) for name in procs}
        totals.append(sum(rss.values()))
        supervisors.append(sum(rss_bytes(p.supervisor) for p in procs.values()))
        left = seconds - (time.monotonic() - start)
        if left <= 0:
            break
        time.sleep(min(SAMPLE_S, left))
    elapsed = time.monotonic() - start
    cpu = {name: round(100 * (cpu_seconds(p.service) - cpu_before[name]) / elapsed, 2) for name, p in procs.items()}
    return {"window_s": round(elapsed, 1), "samples": len(totals),
            "monitoring_rss_mb_peak": mb(max(totals)), "monitoring_rss_mb_mean": mb(sum(totals) / len(totals)),
            "rss_mb_peak_by_service": {name: mb(v) for name, v in peaks.items()},
            "monitoring_cpu_percent": round(sum(cpu.values()), 2), "cpu_percent_by_service": cpu,
            "supervisor_rss_mb_peak": mb(max(supervisors)) if any(supervisors) else None,
            "restarted": [name for name, p in procs.items() if _changed(host, name, p)]}


def _changed(host: Host, name: str, before: Processes) -> bool:
    now = service_processes(host, name).service
    return not now or now[0] != before.service[0]


def targets_up(prometheus_port: int) -> dict[str, int]:
    """Scrape targets Prometheus sees up, by job: proof the window watched every node's exporter."""
    url = f"http://127.0.0.1:{prometheus_port}/api/v1/targets?state=active"
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=10) as answer:
        active = json.loads(answer.read())["data"]["activeTargets"]
    jobs: dict[str, int] = {}
    for target in active:
        if target.get("health") == "up":
            job = target["labels"].get("job", "?")
            jobs[job] = jobs.get(job, 0) + 1
    return jobs


def report(target: Target, out: Path) -> dict:
    """`./install report -o OUT`, timed; its size, files and whether it holds metrics."""
    start = time.monotonic()
    done = target.run("report", "-o", str(out), *target.location(), timeout=300)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        raise RuntimeError(f"./install report exited with {done.returncode}:\n{done.stdout}{done.stderr}")
    with tarfile.open(out) as tar:
        names = [m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile()]
    return {"report_s": round(seconds, 2), "report_bytes": out.stat().st_size, "report_files": len(names),
            "report_has_metrics": any(n.startswith("metrics/") and n.endswith(".json") for n in names)}


def run(seconds: float, workers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="airlift-monitoring-bench-") as tmp:
        work = Path(tmp)
        tarball = build_hello(HELLO / "app.yaml", work / "hello-1.0.0.tar", frozen_standin(REPO))
        safe_extract(tarball, work / "bundle")
        with site(work / "bundle" / "hello-1.0.0", work / "site", workers) as s:
            host = Host(s.master.root)
            time.sleep(SETTLE_S)
            result = {"nodes": 1 + len(s.workers), "manager": "systemd" if host.systemd_running() else "supervised",
                      "install_s": round(s.install_s, 1), "settle_s": SETTLE_S}
            result.update(watch(host, seconds))
            result["scrape_targets_up"] = targets_up(s.master.monitoring_ports[1])
            result.update(report(s.master, work / "report.tar.gz"))
    result.update({"goal_rss_mb": GOAL_RSS_MB, "rss_ok": result["monitoring_rss_mb_peak"] <= GOAL_RSS_MB,
                   "goal_report_s": GOAL_REPORT_S, "report_ok": result["report_s"] <= GOAL_REPORT_S})
    return result


def print_table(result: dict) -> None:
    for key, value in result.items():
        if isinstance(value, dict):
            print(key)
            for name, figure in value.items():
                print(f"    {name:28} {figure}")
        else:
            print(f"{key:32} {value}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=300, help="the measurement window (default 300)")
    parser.add_argument("--workers", type=int, default=2, help="worker nodes joined to the site (default 2)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("bench/monitoring_bench.py installs services and runs ./install report: run it as root")
    handle_stop_signals()  # Ctrl-C and SIGTERM unwind, uninstalling the site, even from a background job
    try:
        result = run(args.seconds, args.workers)
    except KeyboardInterrupt as stop:
        print(f"Stopped ({str(stop) or 'Ctrl-C'}); the site is uninstalled (a warning above names anything left).",
              file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"The bench failed, and its site is uninstalled: {exc}", file=sys.stderr)
        return 1
    print_table(result)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
