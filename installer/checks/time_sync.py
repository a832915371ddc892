"""A time-sync service keeps the nodes' clocks together after the install; the clock-drift
checks only see the moment of the install. Drifting clocks break certificates, tokens and etcd
leases weeks later.
"""

from __future__ import annotations

from installer.checks.result import CheckResult, Family, passed, problem
from installer.facts import Facts
from installer.manifest.models import NodeProfile

SYNC_DAEMONS = ("chronyd", "systemd-timesyncd", "ntpd", "openntpd")


def check_time_sync(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    running = [d for d in SYNC_DAEMONS if d in facts.security.daemons]
    if running:
        return [passed("time-sync", "warn", f"{running[0]} keeps the clock in sync.")]
    return [problem("time-sync", "warn",
                    "No time-sync service runs (chronyd, systemd-timesyncd or ntpd): the nodes' clocks drift "
                    "apart, and certificates, tokens and etcd leases start failing between them.",
                    "Start one pointed at a time source on your network: put `server NTP-HOST iburst` in "
                    "/etc/chrony/chrony.conf and run systemctl enable --now chrony (or NTP=NTP-HOST in "
                    "/etc/systemd/timesyncd.conf and systemctl enable --now systemd-timesyncd).")]


TIME_SYNC = Family("time-sync", "time-sync",
                   "A time-sync service (chrony, systemd-timesyncd, ntpd) runs (warn)", check_time_sync)
