"""CPU and RAM against the profile's minimum and maximum."""

from __future__ import annotations

from installer.checks.result import CheckResult, Family, passed, plural, problem, size
from installer.facts import Facts
from installer.manifest.models import NodeProfile

# The kernel keeps some memory for itself, so MemTotal reads a little under the RAM installed:
# a "2GB" host reports about 1.9 GiB. A host within this fraction of the minimum passes.
RAM_TOLERANCE = 0.05


def check_cpu(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    req, have, name = profile.requirements, facts.cpu_count, profile.name
    results = []
    if req.cpu_min is not None:
        if have >= req.cpu_min:
            results.append(passed("cpu-min", "fail", f"{plural(have, 'CPU')} (profile {name} needs {req.cpu_min})."))
        else:
            results.append(problem(
                "cpu-min", "fail",
                f"This host has {plural(have, 'CPU')}; profile {name} needs at least {req.cpu_min}.",
                "Use a host with more CPUs or pick another profile."))
    if req.cpu_max is not None:
        if have <= req.cpu_max:
            results.append(passed("cpu-max", "fail", f"{plural(have, 'CPU')} (profile {name} allows {req.cpu_max})."))
        else:
            results.append(problem(
                "cpu-max", "fail",
                f"This host has {plural(have, 'CPU')}; profile {name} allows at most {req.cpu_max}.",
                "Use a smaller host or pick another profile."))
    return results


def check_ram(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    req, have, name = profile.requirements, facts.ram_bytes, profile.name
    results = []
    if req.ram_min is not None:
        if have >= req.ram_min * (1 - RAM_TOLERANCE):
            close = "; close enough, the kernel keeps a little for itself" if have < req.ram_min else ""
            results.append(passed("ram-min", "fail",
                                  f"{size(have)} of RAM (profile {name} needs {size(req.ram_min)}){close}."))
        else:
            results.append(problem(
                "ram-min", "fail",
                f"This host has {size(have)} of RAM; profile {name} needs at least {size(req.ram_min)}.",
                "Use a larger host or pick another profile."))
    if req.ram_max is not None:
        if have <= req.ram_max:
            results.append(passed("ram-max", "fail", f"{size(have)} of RAM (profile {name} allows {size(req.ram_max)})."))
        else:
            results.append(problem(
                "ram-max", "fail",
                f"This host has {size(have)} of RAM; profile {name} allows at most {size(req.ram_max)}.",
                "Use a smaller host or pick another profile."))
    return results


CPU = Family("cpu", "cpu-min, cpu-max", "Number of CPUs within the profile's minimum and maximum", check_cpu)
RAM = Family("ram", "ram-min, ram-max", "RAM within the profile's minimum and maximum", check_ram)
