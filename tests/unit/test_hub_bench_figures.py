"""The hub bench's arithmetic (bench/hub_figures.py): which latency is the p99, what counts as an
accepted check-in, and how CPU and the publish ratio are figured."""

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("hub_figures", REPO / "bench" / "hub_figures.py")
assert _spec and _spec.loader
figures = importlib.util.module_from_spec(_spec)
sys.modules["hub_figures"] = figures
_spec.loader.exec_module(figures)


def test_percentiles_are_nearest_rank():
    values = list(range(1000, 0, -1))  # 1..1000 in any order
    assert figures.percentile(values, 50) == 500
    assert figures.percentile(values, 99) == 990
    assert figures.percentile(values, 100) == 1000
    assert figures.percentile([7.0], 99) == 7.0
    assert figures.percentile([], 99) is None


def test_refused_check_ins_are_errors_not_throughput():
    latencies = [10.0] * 98 + [50.0, 200.0]  # 100 answers, 2 of them refusals
    got = figures.check_in_figures(latencies, refused=2, failed=3, seconds=2)
    assert got["accepted"] == 98 and got["checkins_per_s"] == 49.0 and got["errors"] == 5
    assert (got["p50_ms"], got["p99_ms"], got["max_ms"]) == (10.0, 50.0, 200.0)


def test_no_answers_give_no_latency():
    got = figures.check_in_figures([], refused=0, failed=4, seconds=1)
    assert (got["accepted"], got["errors"], got["p99_ms"]) == (0, 4, None)


def test_cores_and_ratios():
    assert figures.cores(15.0, 30.0) == 0.5
    assert figures.ratio(6.0, 5.0) == 1.2 and figures.ratio(1.0, 0) is None
    ratio, spread = figures.median_ratio([12.0, 11.0, 13.0], [10.0, 10.0, 10.0])
    assert ratio == 1.2 and spread == [1.1, 1.3]


def test_cpu_per_request_and_the_ceiling_of_one_core():
    assert figures.cpu_ms_each(3.0, 1500) == 2.0 and figures.cpu_ms_each(1.0, 0) is None
    assert figures.per_core(2.0) == 500.0 and figures.per_core(None) is None


def test_a_check_ins_cpu_splits_into_server_application_and_what_only_the_two_together_cost():
    got = figures.cost_split(hub_ms=4.5, server_ms=1.35, app_ms=2.1)
    assert got["rest_ms"] == 1.05  # 4.5 - 1.35 - 2.1
    assert got["goal_ms"] == 2.0 and got["over_goal_ms"] == 2.5  # 500/s from one core leaves 2 ms each
    assert figures.cost_split(hub_ms=1.9, server_ms=1.0, app_ms=0.9)["over_goal_ms"] == -0.1  # under the goal


def test_the_least_a_python_hub_costs_is_held_against_both_budgets():
    got = figures.least_in_python(stdlib_ms=0.9, own_work_ms=0.6, clients_ms=1.8, postgres_ms=0.5, host_cores=2)
    assert got["least_ms"] == 1.5 and got["own_core_budget_ms"] == 2.0
    assert got["host_budget_ms"] == 1.7  # 2 cores at 500/s: 4 ms a check-in, less the clients' and PostgreSQL's
    assert got["least_over_host_budget_ms"] == -0.2  # under: reachable in principle
    assert figures.least_in_python(1.1, 0.8, 2.1, 0.5, 2)["least_over_host_budget_ms"] == 0.5  # over: out of reach
