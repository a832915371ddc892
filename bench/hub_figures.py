"""The arithmetic of bench/hub_bench.py, apart so it is tested without a hub
(tests/unit/test_hub_bench_figures.py): latency percentiles, rates, CPU shares, ratios."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

GOAL_PER_S = 500  # check-ins a second from one hub process (issue 15)
GOAL_MS = 1000 / GOAL_PER_S  # the CPU that leaves each check-in on one core


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile `q` (0 < q <= 100) of `values`: the smallest value at least
    q % of them do not exceed, so p99 of 1,000 latencies is the 990th; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def check_in_figures(latencies_ms: Sequence[float], refused: int, failed: int,
                     seconds: float) -> dict[str, float | int | None]:
    """Accepted check-ins per second over the window and the latency of every answer.
    `latencies_ms` has one entry per answer, `refused` of them were not taken (an HTTP error or
    `taken: false`); `failed` requests got no answer at all (no latency)."""
    accepted = len(latencies_ms) - refused
    return {"checkins_per_s": round(accepted / seconds, 1), "accepted": accepted, "errors": refused + failed,
            "p50_ms": _round(percentile(latencies_ms, 50)), "p99_ms": _round(percentile(latencies_ms, 99)),
            "max_ms": _round(max(latencies_ms) if latencies_ms else None)}


def cores(cpu_s: float, seconds: float) -> float:
    """CPU seconds spent over a wall-clock window, as cores kept busy (1.0 = one core all along)."""
    return round(cpu_s / seconds, 2) if seconds > 0 else 0.0


def cpu_ms_each(cpu_s: float, count: int) -> float | None:
    """CPU milliseconds spent on each of `count` requests: a cost that, unlike a rate, hardly
    depends on how busy the rest of the host is."""
    return round(cpu_s * 1000 / count, 2) if count else None


def per_core(cpu_ms: float | None) -> float | None:
    """Requests per second one core would take at `cpu_ms` each: the ceiling of one hub process,
    whose Python runs on one core at a time."""
    return round(1000 / cpu_ms, 1) if cpu_ms else None


def ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def median_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> tuple[float | None, list[float]]:
    """The ratio of the medians, and the [lowest, highest] of the rounds' own ratios."""
    rounds = [n / d for n, d in zip(numerators, denominators, strict=True) if d]
    spread = [round(min(rounds), 3), round(max(rounds), 3)] if rounds else []
    return ratio(statistics.median(numerators), statistics.median(denominators)), spread


def cost_split(hub_ms: float, server_ms: float, app_ms: float) -> dict[str, float]:
    """A check-in's hub CPU (bench/hub_checkin_cost.py) as its server's, its application's and
    the rest, what only the two together cost; and how far the whole is over what GOAL_PER_S
    check-ins a second from one process (one core) leave each."""
    return {"hub_ms": hub_ms, "server_ms": server_ms, "app_ms": app_ms,
            "rest_ms": round(hub_ms - server_ms - app_ms, 3), "goal_ms": round(GOAL_MS, 3),
            "over_goal_ms": round(hub_ms - GOAL_MS, 3)}


def least_in_python(stdlib_ms: float, own_work_ms: float, clients_ms: float, postgres_ms: float,
                    host_cores: int) -> dict[str, float]:
    """The least CPU a hub written in Python could spend on a check-in, against what GOAL_PER_S
    check-ins a second leave it: `stdlib_ms` (Python's own threaded HTTPS server answering at once)
    plus `own_work_ms` (the check-in's own work with no web framework: the signature, the JSON, the
    database) is what a server and an application both as lean as can be would cost, with nothing
    lost to their sharing a process. The goal leaves 2 ms on a core of the hub's own, and on the
    bench's host what its `host_cores` leave once the clients and PostgreSQL have had their share
    of each check-in."""
    least = stdlib_ms + own_work_ms
    on_host = host_cores * GOAL_MS - clients_ms - postgres_ms
    return {"least_ms": round(least, 3), "own_core_budget_ms": round(GOAL_MS, 3),
            "host_budget_ms": round(on_host, 3), "least_over_host_budget_ms": round(least - on_host, 3)}


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None
