"""When a hook Job has failed, by Kubernetes' rules: a failed pod is not a failed Job."""

import json

import pytest

from installer.errors import AirliftError
from installer.host import Host
from installer.runtime import jobs
from installer.runtime.jobs import failure, run_job


def test_failed_pods_within_the_backoff_limit_are_not_a_failure():
    assert failure({"failed": 6, "active": 1}, 6) is None
    assert failure({}, 6) is None


def test_the_limit_spent_or_the_failed_condition_is_a_failure():
    assert failure({"failed": 7}, 6) == "BackoffLimitExceeded"
    assert failure({"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "DeadlineExceeded"}]},
                   6) == "DeadlineExceeded"
    assert failure({"conditions": [{"type": "Failed", "status": "False"}]}, 6) is None


def pod(name, phase, created, exit_code=None):
    state = {"terminated": {"exitCode": exit_code}} if exit_code is not None else {"running": {}}
    return {"metadata": {"name": name, "creationTimestamp": created, "ownerReferences": [{"uid": "u1"}]},
            "status": {"phase": phase, "containerStatuses": [{"state": state}]}}


class Cluster:
    """kubectl answering from a script of Job states, one per poll."""

    def __init__(self, polls):
        self.polls, self.poll = polls, -1

    def __call__(self, args, check):
        if args[:2] == ["get", "job"]:
            self.poll = min(self.poll + 1, len(self.polls) - 1)
            return 0, json.dumps({"metadata": {"uid": "u1"}, "status": self.polls[self.poll]["status"]})
        if args[:2] == ["get", "pods"]:
            return 0, json.dumps({"items": self.polls[self.poll]["pods"]})
        if args[0] == "logs":
            return 0, "\n".join(self.polls[self.poll]["logs"].get(args[1], []))
        return 0, ""


def test_a_job_retried_by_kubernetes_is_waited_for_and_every_attempt_streamed(tmp_path, monkeypatch):
    monkeypatch.setattr(jobs, "POLL_S", 0)
    first = pod("hook-aaaaa", "Failed", "2024-01-01T00:00:01Z", 2)
    polls = [
        {"status": {"active": 1, "failed": 1}, "pods": [first], "logs": {"hook-aaaaa": ["try"]}},
        {"status": {"succeeded": 1, "failed": 1}, "pods": [pod("hook-bbbbb", "Succeeded", "2024-01-01T00:00:03Z", 0),
                                                          first],
         "logs": {"hook-aaaaa": ["try"], "hook-bbbbb": ["try", "done"]}},
    ]
    lines = []
    job = {"metadata": {"name": "hook"}, "spec": {"backoffLimit": 1}}
    run_job(Host(tmp_path), Cluster(polls), "install", job, tmp_path / "jobs", 30, lines.append)
    assert lines == ["try", "Attempt 1 of 2 (pod hook-aaaaa) failed (exit code 2)", "try", "done"]


def test_a_job_past_its_limit_fails_naming_the_hook_even_without_a_condition(tmp_path, monkeypatch):
    monkeypatch.setattr(jobs, "POLL_S", 0)
    polls = [{"status": {"failed": 7}, "pods": [pod("hook-aaaaa", "Failed", "2024-01-01T00:00:01Z", 1)],
              "logs": {"hook-aaaaa": ["boom"]}}]
    with pytest.raises(AirliftError) as err:
        run_job(Host(tmp_path), Cluster(polls), "postInstall", {"metadata": {"name": "hook"}}, tmp_path, 30,
                lambda line: None)
    assert err.value.message == ("The postInstall hook failed: Kubernetes gave up on job hook after 7 failed "
                                 "attempts (BackoffLimitExceeded; backoffLimit 6)")
    assert err.value.details == "Last log lines of pod hook-aaaaa:\nboom"
