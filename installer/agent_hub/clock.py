"""Clock drift between the installer and a node, measured when the node's agent answers.

Kubernetes certificates, tokens and logs assume the nodes agree on the time. The agent stamps
each result with its clock as it sends it; the installer compares that with its own clock on
arrival. On a LAN the trip takes milliseconds, far below the limit, so the difference is the
drift. Checking every node against the installer's clock covers every pair that includes the
installer; two nodes each within the limit of it may still differ by up to twice the limit.
"""

from __future__ import annotations

from installer.checks import CheckResult
from installer.checks.catalog import CLOCK_DRIFT

CHECK_ID = CLOCK_DRIFT
MAX_DRIFT_S = 0.3


def drift_check(node: str, offset_s: float, limit_s: float = MAX_DRIFT_S) -> CheckResult:
    """pass/fail for a node whose clock is `offset_s` ahead of the installer's (negative: behind)."""
    ms = abs(offset_s) * 1000
    direction = "ahead of" if offset_s > 0 else "behind"
    if ms <= limit_s * 1000:
        return CheckResult(CHECK_ID, "fail", "pass",
                           f"The clock of node {node} is within {ms:.0f} ms of the installer's.")
    return CheckResult(CHECK_ID, "fail", "fail",
                       f"The clock of node {node} is {ms:.0f} ms {direction} the installer's "
                       f"(at most {limit_s * 1000:.0f} ms allowed).",
                       hint="synchronise the clocks of every host (NTP, chrony or systemd-timesyncd)")
