"""The manifest's customChecks: each script ran on the host while the facts were gathered."""

from __future__ import annotations

from installer.checks.result import CheckResult, Family, passed, problem
from installer.facts import Facts
from installer.manifest.models import NodeProfile

SHOWN_LINES = 3


def check_custom(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    runs = {r.index: r for r in facts.custom_checks}
    results = []
    for index, check in enumerate(profile.requirements.custom_checks, 1):
        cid, title = f"custom-{index}", check.description or f"custom check {index}"
        run = runs.get(index)
        if run is None:
            results.append(problem(cid, "fail", f"{title}: the script did not run on this host.",
                                   "Run the checks again so the facts cover this profile."))
        elif run.timed_out:
            results.append(problem(cid, "fail", f"{title}: the script did not finish within {run.seconds:.0f}s.",
                                   "Find out what the vendor's script waits for on this host; it ran: "
                                   + _tail(run.output)))
        elif run.exit_code != 0:
            results.append(problem(cid, "fail", f"{title}: failed (exit {run.exit_code}): {_tail(run.output)}",
                                   "Fix what the script reports, then run the checks again."))
        else:
            results.append(passed(cid, "fail", f"{title}: passed."))
    return results


def _tail(output: str) -> str:
    lines = output.strip().splitlines()[-SHOWN_LINES:]
    return " / ".join(lines) if lines else "(no output)"


CUSTOM = Family("custom", "custom-<n>", "The manifest's customChecks scripts exit 0 (run with a timeout)",
                check_custom)
