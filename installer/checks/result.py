"""What a check returns, and the small vocabulary every check family shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from installer.facts import Facts
from installer.manifest.models import NodeProfile

SEVERITIES = ("fail", "warn")
STATUSES = ("pass", "warn", "fail", "skipped")


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict on one host.

    `severity` is what a problem found by this check means ("fail" stops the install, "warn"
    does not); `status` is what was found. `hint` says what to do; it is None on a pass.
    """

    id: str
    severity: str
    status: str
    message: str
    hint: str | None = None

    def to_dict(self) -> dict:
        """Plain JSON-able data, for events and the wizard."""
        return asdict(self)


@dataclass(frozen=True)
class Family:
    """A family of checks: one pure function from facts and profile to results.

    `pattern` shows the ids the family gives (`port-<tcp|udp>-<port>`); `id` skips the whole
    family at once.
    """

    id: str
    pattern: str
    description: str
    run: Callable[[Facts, NodeProfile], list[CheckResult]]


def passed(check_id: str, severity: str, message: str) -> CheckResult:
    return CheckResult(check_id, severity, "pass", message)


def problem(check_id: str, severity: str, message: str, hint: str) -> CheckResult:
    """A finding: status equals the check's severity (a "warn" check never fails the install)."""
    return CheckResult(check_id, severity, severity, message, hint)


def size(n: float) -> str:
    """Bytes for people: binary, as manifests count them ("2GB" is 2 GiB), with the IEC unit names
    so nobody reads them as decimal: "512 B", "1.5 KiB", "2.0 GiB" (the wizard writes the same)."""
    for unit, factor in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{int(n)} B"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
