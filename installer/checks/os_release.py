"""The operating system (/etc/os-release ID and VERSION_ID) against the profile's list."""

from __future__ import annotations

from installer.checks.result import CheckResult, Family, passed, problem
from installer.facts import Facts, OsRelease
from installer.manifest.models import NodeProfile, OSRequirement

# Names Gravity manifests use that differ from the os-release ID.
ALIASES = {"redhat": "rhel", "red hat": "rhel", "suse": "sles"}


def check_os(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    accepted = profile.requirements.os
    if not accepted:
        return []
    host = facts.os
    shown = f"{host.pretty_name or host.name or 'an unknown system'} ({host.id or '?'} {host.version_id or '?'})"
    if any(_matches(host, want) for want in accepted):
        return [passed("os", "fail", f"{shown} is supported by profile {profile.name}.")]
    supported = ", ".join(_describe(want) for want in accepted)
    return [problem(
        "os", "fail",
        f"This host runs {shown}; profile {profile.name} supports: {supported}.",
        "Install on a host running one of the supported systems, or pick another profile.")]


def _matches(host: OsRelease, want: OSRequirement) -> bool:
    name = ALIASES.get(want.name.lower(), want.name.lower())
    if name != host.id:
        return False
    if not want.versions:
        return True
    version = host.version_id
    return any(version == v or version.startswith(f"{v}.") for v in want.versions)


def _describe(want: OSRequirement) -> str:
    return f"{want.name} {'/'.join(want.versions)}" if want.versions else f"{want.name} (any version)"


OS = Family("os", "os", "Operating system name and version are among the profile's", check_os)
