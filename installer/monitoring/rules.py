"""The alert rules Airlift ships, as Prometheus's rules file.

Each rule reads what the scrape jobs of config.py collect: `node` (every node's exporter),
`registry` (its debug listener), `airlift-cluster` (the cluster service's own metrics: nodes
Ready, certificates, the application's status hook). The disk rules watch the mount points of the state directory and of the
profiles' volumes (found on each node when its exporter is set up), not every filesystem: a pod's
tmpfs being full is not the operator's business. `alert_for` is how long a condition must hold
(answer alert-for), so a reboot or a short spike does not page anyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import yaml

from installer.services.names import CONTROLLER

FULL = 0.85           # disk or inodes used above this fraction
MEMORY_LEFT = 0.10    # available memory below this fraction of the total
DRIFT_S = 0.3         # clock difference to the first master, seconds
CERT_DAYS = 30        # certificates expiring within this many days


def _mounts_selector(mountpoints: Iterable[str]) -> str:
    """`job="node",mountpoint=~"..."` matching exactly the watched mount points (RE2, anchored)."""
    alternatives = "|".join(re.escape(m).replace("\\", "\\\\") for m in sorted(set(mountpoints)))
    return f'job="node",mountpoint=~"{alternatives or "/"}"'


def _rule(name: str, expr: str, alert_for: str, summary: str, severity: str = "warning") -> dict:
    return {"alert": name, "expr": expr, "for": alert_for, "labels": {"severity": severity},
            "annotations": {"summary": summary}}


def alert_rules(alert_for: str, mountpoints: Iterable[str]) -> list[dict]:
    """Every rule, as Prometheus's rule objects."""
    mounts = _mounts_selector(mountpoints)
    percent = f"{FULL * 100:.0f} %"
    return [
        _rule("NodeDown", 'up{job="node"} == 0', alert_for,
              "Node {{ $labels.node }} does not answer: its exporter at {{ $labels.instance }} is down or unreachable",
              "critical"),
        _rule("DiskAlmostFull",
              f"1 - node_filesystem_avail_bytes{{{mounts}}} / node_filesystem_size_bytes{{{mounts}}} > {FULL}",
              alert_for, f"Disk {{{{ $labels.mountpoint }}}} on node {{{{ $labels.node }}}} is over {percent} full"),
        _rule("InodesAlmostFull",
              f"node_filesystem_files{{{mounts}}} > 0 and "
              f"1 - node_filesystem_files_free{{{mounts}}} / node_filesystem_files{{{mounts}}} > {FULL}",
              alert_for, f"Inodes of {{{{ $labels.mountpoint }}}} on node {{{{ $labels.node }}}} are over {percent} used"),
        _rule("MemoryPressure",
              f'node_memory_MemAvailable_bytes{{job="node"}} / node_memory_MemTotal_bytes{{job="node"}} < {MEMORY_LEFT}',
              alert_for, f"Node {{{{ $labels.node }}}} has less than {MEMORY_LEFT * 100:.0f} % of its memory available"),
        _rule("RegistryDown", 'up{job="registry"} == 0 or absent(up{job="registry"})', alert_for,
              "The local registry does not answer: nodes cannot pull the application's images", "critical"),
        _rule("NodeNotReady", "airlift_node_ready == 0", alert_for,
              "Kubernetes reports node {{ $labels.node }} NotReady"),
        _rule("ClockDrift",
              f'abs(node_time_seconds{{job="node"}} - timestamp(node_time_seconds{{job="node"}})) > {DRIFT_S}',
              alert_for, f"The clock of node {{{{ $labels.node }}}} is more than {DRIFT_S * 1000:.0f} ms off the "
                         "first master's"),
        _rule("CertificateExpiring",
              f"airlift_certificate_expiry_timestamp_seconds - time() < {CERT_DAYS} * 86400", alert_for,
              f"Certificate {{{{ $labels.certificate }}}} of the install expires within {CERT_DAYS} days"),
        _rule("ClusterServiceDown", f'up{{job="{CONTROLLER}"}} == 0', alert_for,
              f"The cluster service ({CONTROLLER}) does not answer: nodes cannot join or leave", "critical"),
        _rule("StatusHookFailing", "airlift_status_hook_ok == 0", alert_for,
              "The application's status hook fails: ./install status shows its log tail"),
    ]


def rules_file(alert_for: str, mountpoints: Iterable[str]) -> str:
    return yaml.safe_dump({"groups": [{"name": "airlift", "rules": alert_rules(alert_for, mountpoints)}]},
                          sort_keys=False)
