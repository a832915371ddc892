"""Every port Airlift and the profile need is free (found by binding it)."""

from __future__ import annotations

from installer.checks.result import CheckResult, Family, passed, problem
from installer.facts import BusyPort, Facts, PortProbe
from installer.manifest.models import NodeProfile

# Airlift's own ports can be moved in the answers; the key to change for each purpose.
ANSWER_KEYS = {"image registry": "registry-port", "installer wizard": "wizard-port", "Kubernetes API": "api-port",
               "node exporter": "exporter-port", "Prometheus": "monitoring-port",
               "Alertmanager": "alertmanager-port", "registry metrics": "registry-metrics-port",
               "control panel": "panel-port"}


def port_id(protocol: str, first: int, last: int) -> str:
    return f"port-{protocol}-{first}" if first == last else f"port-{protocol}-{first}-{last}"


def check_ports(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    results = [_check_probe(probe, facts.installer_pid) for probe in facts.ports]
    probed = {(p.protocol, p.first, p.last) for p in facts.ports}
    for r in profile.requirements.ports:
        if (r.protocol, r.first, r.last) not in probed:
            results.append(problem(port_id(r.protocol, r.first, r.last), "fail",
                                   f"{_ports(r.protocol, r.first, r.last)} (profile {profile.name}) was not probed.",
                                   "Run the checks again so the facts cover this profile."))
    return results


def _check_probe(probe: PortProbe, installer_pid: int) -> CheckResult:
    cid = port_id(probe.protocol, probe.first, probe.last)
    shown = f"{_ports(probe.protocol, probe.first, probe.last)} ({probe.purpose})"
    if probe.error:
        return problem(cid, "warn", f"Could not test {shown}: {probe.error}.",
                       "Run the checks as root so every port can be tried.")
    # The installer's own wizard holds its port while it runs the checks: that is not a conflict.
    busy = [b for b in probe.busy if b.holder_pid != installer_pid]
    if not busy:
        return passed(cid, "fail", f"{shown} is free.")
    holders = "; ".join(_holder(b) for b in busy[:5]) + ("; …" if len(busy) > 5 else "")
    return problem(cid, "fail", f"{shown} is in use: {holders}.", _hint(probe, busy))


def _hint(probe: PortProbe, busy: list[BusyPort]) -> str:
    pids = sorted({b.holder_pid for b in busy if b.holder_pid})
    stop = f"Stop the process holding it (kill {' '.join(map(str, pids))})" if pids else \
        "Find what holds it (ss -lntup) and stop it"
    key = ANSWER_KEYS.get(probe.purpose)
    return f"{stop}, or set {key} to a free port in the answers." if key else f"{stop}; the application needs it."


def _holder(b: BusyPort) -> str:
    if b.holder_pid is None:
        return f"port {b.port} by an unknown process"
    return f"port {b.port} by {b.holder_name or 'a process'} (PID {b.holder_pid})"


def _ports(protocol: str, first: int, last: int) -> str:
    return f"{protocol.upper()} port {first}" if first == last else f"{protocol.upper()} ports {first}-{last}"


PORTS = Family("ports", "port-<tcp|udp>-<port>[-<last>]",
               "Ports Airlift needs (registry, wizard, API, kubelet, flannel, monitoring, control panel) and the profile's ports are free",
               check_ports)
