"""Host checks against a node profile: small pure functions over the gathered facts.

    facts = gather_facts(host, profile, state_dir)      # installer.facts
    results = run_checks(facts, profile, skip={"swap"})
    if blocking(results): ...                            # a failing check stops the install

Each family lives in its own module and gives results with ids such as `ram-min` or
`port-tcp-6443`; any check, or a whole family, can be skipped by id.
"""

from installer.checks.catalog import CHECKS, blocking, describe_checks, run_checks, unknown_skips
from installer.checks.result import CheckResult, Family

__all__ = ["CHECKS", "CheckResult", "Family", "blocking", "describe_checks", "run_checks", "unknown_skips"]
