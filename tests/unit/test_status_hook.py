"""The application's status hook as the cluster service runs it: a fresh Job per run, the previous
one deleted, one run at a time, bounded, paused while an operation runs, each result saved for
`./install status`, which calls it failed or stale, and the health degraded; the last run as the
cluster service's metrics."""

import itertools
import json
import threading
import time

from installer.cluster_service import status_hook as scheduler
from installer.cluster_service.metrics import status_hook_metrics
from installer.cluster_service.status_hook import StatusHook, last_exit_code
from installer.errors import AirliftError
from installer.statedir import StateDir
from installer.status.health import health_checks, health_word
from installer.status.status_hook import hook_health, hook_metric, read_record, write_record

JOB = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "hello-status", "namespace": "apps"},
       "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "hello/hook:1.0.0"}]}}}}


class Runtime:
    """run_job and kubectl as the hook runner uses them; `behave(name, on_log)` plays one run."""

    def __init__(self, behave=None, pods=()):
        self.behave = behave or (lambda name, on_log: on_log("all good"))
        self.pods = list(pods)
        self.ran, self.deleted, self.timeouts = [], [], []
        self.lock = threading.Lock()
        self.active = self.most = 0

    def run_job(self, hook, job, timeout, on_log):
        assert hook == "status" and job["metadata"]["namespace"] == "apps"
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
        self.ran.append((job["metadata"]["name"], time.monotonic()))
        self.timeouts.append(timeout)
        try:
            self.behave(job["metadata"]["name"], on_log)
        finally:
            with self.lock:
                self.active -= 1
            self.ran[-1] += (time.monotonic(),)

    def kubectl(self, args):
        if args[0] == "delete":
            self.deleted.append(args[2])
            return ""
        return json.dumps({"items": self.pods})


def hook(tmp_path, runtime, interval=60, busy=lambda: None, clock=None):
    times = iter(range(1_000_000, 2_000_000, 7))  # a new second-stamp for every name
    return StatusHook(JOB, runtime, tmp_path, interval, busy, clock=clock or (lambda: float(next(times))))


def test_each_run_is_a_fresh_job_its_result_saved_and_the_previous_job_deleted(tmp_path):
    def chatty(name, on_log):
        for i in range(30):
            on_log(f"line {i}")

    runtime = Runtime(chatty)
    runner = hook(tmp_path, runtime)
    first = runner.run()
    (StateDir(tmp_path).jobs).mkdir()
    (StateDir(tmp_path).jobs / f"{first['job']}.yaml").write_text("kind: Job\n")
    second = runner.run()
    assert first["job"] != second["job"] and first["job"].startswith("hello-status-")
    assert runtime.deleted == [first["job"]]  # the latest stays for kubectl describe
    assert not (StateDir(tmp_path).jobs / f"{first['job']}.yaml").exists()
    saved = read_record(StateDir(tmp_path).status_hook)
    assert saved["last"]["ok"] is True and saved["last"]["job"] == second["job"]
    assert saved["last"]["log"] == [f"line {i}" for i in range(10, 30)]  # the last 20 lines
    assert saved["last"]["exit_code"] is None and saved["last"]["duration_s"] >= 0 and saved["interval_s"] == 60
    assert not list(tmp_path.glob("*.tmp"))  # written whole, then renamed


def test_a_failed_run_keeps_the_reason_and_the_exit_code_of_its_last_attempt(tmp_path):
    def fails(name, on_log):
        on_log("the page is missing")
        raise AirliftError(f"The status hook failed: Kubernetes gave up on job {name}")

    pods = [{"metadata": {"name": "p1", "creationTimestamp": "2026-01-01T00:00:01Z"},
             "status": {"containerStatuses": [{"state": {"terminated": {"exitCode": 3}}}]}}]
    result = hook(tmp_path, Runtime(fails, pods)).run()
    assert result["ok"] is False and result["exit_code"] == 3 and "gave up on job hello-status-" in result["reason"]
    assert result["log"] == ["the page is missing"]
    assert last_exit_code([]) is None


def test_a_hanging_run_is_stopped_at_its_timeout_and_counts_as_failed(tmp_path, monkeypatch):
    monkeypatch.setattr(scheduler, "MIN_TIMEOUT_S", 0.2)

    def hangs(name, on_log):
        time.sleep(0.25)  # the runtime gives up at the timeout it was handed
        raise AirliftError(f"job {name} still runs")

    runtime = Runtime(hangs)
    result = hook(tmp_path, runtime, interval=0.1).run()
    assert runtime.timeouts == [0.2]  # the interval, but never below the floor
    assert result["ok"] is False and result["reason"].startswith("did not finish within 0.2 s")
    assert runtime.deleted == [result["job"]]  # stopped, not left running


def test_an_operation_pauses_the_runs_and_they_resume_after_it(tmp_path):
    why = ["operation remove-node-2-0123abcd is in progress"]
    runtime = Runtime()
    runner = hook(tmp_path, runtime, busy=lambda: why[0])
    assert runner.tick() is None and runtime.ran == []
    paused = read_record(StateDir(tmp_path).status_hook)["paused"]
    assert paused["why"] == why[0]
    health = hook_health(read_record(StateDir(tmp_path).status_hook), paused["since"] + 3600)
    assert health["state"] == "paused" and health["ok"]  # not stale while held back
    why[0] = None
    assert runner.tick()["ok"] and read_record(StateDir(tmp_path).status_hook)["paused"] is None


def test_runs_never_overlap_and_the_next_starts_once_the_previous_ended(tmp_path):
    runtime = Runtime(lambda name, on_log: time.sleep(0.08))
    stop = threading.Event()
    runner = hook(tmp_path, runtime, interval=0.03)
    thread = threading.Thread(target=runner.serve, args=(stop,))
    thread.start()
    for _ in range(200):
        if len(runtime.ran) >= 3:
            break
        time.sleep(0.02)
    stop.set()
    thread.join(5)
    runs = [r for r in runtime.ran if len(r) == 3]
    assert len(runs) >= 3 and runtime.most == 1
    assert all(later[1] >= earlier[2] for earlier, later in itertools.pairwise(runs))


def test_a_result_older_than_three_intervals_is_stale(tmp_path):
    path = StateDir(tmp_path).status_hook
    assert hook_health(None, 0)["state"] == "pending" and hook_metric(path, 0) is None
    write_record(path, {"interval_s": 60, "since": 1000.0, "paused": None, "last": None})
    assert hook_health(read_record(path), 1100)["state"] == "pending"
    assert hook_metric(path, 1100) == {"ok": None, "age_s": None, "duration_s": None}
    never = hook_health(read_record(path), 1181)
    assert never["state"] == "stale" and not never["ok"] and "none since the cluster service began" in never["detail"]
    last = {"ok": True, "job": "hello-status-1", "started": 1990.0, "finished": 2000.0, "duration_s": 10.0,
            "exit_code": None, "reason": None, "log": ["fine"]}
    write_record(path, {"interval_s": 60, "since": 1000.0, "paused": None, "last": last})
    assert hook_health(read_record(path), 2180)["state"] == "ok"
    stale = hook_health(read_record(path), 2181)
    assert stale["state"] == "stale" and "no result for 3 intervals of 60 s" in stale["detail"]
    assert hook_metric(path, 2030) == {"ok": True, "age_s": 30.0, "duration_s": 10.0}


def test_a_failing_status_hook_makes_the_health_degraded_with_the_reason():
    failed = {"ok": False, "job": "hello-status-2", "started": 0.0, "finished": 50.0, "duration_s": 2.0,
              "exit_code": 3, "reason": "The status hook failed", "log": ["the page is missing"]}
    hook_state = hook_health({"format": 1, "interval_s": 60, "since": 0.0, "paused": None, "last": failed}, 60)
    assert hook_state["detail"] == "failed 10 s ago, exit code 3: The status hook failed"
    status = {"registry": {"url": "u", "answering": True}, "runtime": {"running": True, "nodes": []},
              "cluster_service": True, "status_hook": hook_state}
    checks = health_checks(status)
    assert health_word(checks, True) == ("degraded", [f"application status hook: {hook_state['detail']}"])
    down = health_checks({**status, "runtime": {"running": False, "nodes": []}})
    assert health_word(down, True)[0] == "down" and health_word(checks, False)[0] == "down"
    assert health_word(health_checks({**status, "status_hook": None}), True) == ("healthy", [])


def test_a_paused_timer_runs_soon_after_the_operation_ended(tmp_path, monkeypatch):
    monkeypatch.setattr(scheduler, "PAUSED_POLL_S", 0.01)
    answers = iter(["the install is ending"])
    runtime = Runtime()
    stop = threading.Event()
    thread = threading.Thread(target=hook(tmp_path, runtime, interval=60, busy=lambda: next(answers, None)).serve,
                              args=(stop,))
    thread.start()
    for _ in range(100):
        if runtime.ran:
            break
        time.sleep(0.02)
    stop.set()
    thread.join(5)
    assert len(runtime.ran) == 1  # not a whole interval later


def samples(record_path, now: float) -> dict[str, float]:
    return {s.name: s.value for family in status_hook_metrics(record_path, now) for s in family.samples}


def test_the_last_run_is_a_metric_of_the_cluster_service_and_none_before_it(tmp_path):
    path = StateDir(tmp_path).status_hook
    assert samples(path, 0) == {}  # no status hook in the manifest
    write_record(path, {"interval_s": 60, "since": 1000.0, "paused": None, "last": None})
    assert samples(path, 1100) == {}  # no run yet: nothing to alert on
    failed = {"ok": False, "job": "hello-status-2", "started": 1990.0, "finished": 2000.0, "duration_s": 10.0,
              "exit_code": 3, "reason": "exited with 3", "log": ["database unreachable"]}
    write_record(path, {"interval_s": 60, "since": 1000.0, "paused": None, "last": failed})
    assert samples(path, 2030) == {"airlift_status_hook_ok": 0.0, "airlift_status_hook_last_run_age_seconds": 30.0,
                                   "airlift_status_hook_duration_seconds": 10.0}
