"""Host facts: one probe of a host (OS, kernel, resources, ports, volumes, processes, custom
scripts) into a JSON-able record that the checks read. See `gather_facts`. The host's network
(addresses, default route) that the answers are checked against is `addresses.probe_network`."""

from installer.facts.gather import gather_facts
from installer.facts.host_record import ClusterSettings
from installer.facts.ports import PortNeed, airlift_ports
from installer.facts.record import (
    BusyPort,
    DeviceProbe,
    DirProbe,
    Facts,
    OsRelease,
    PortProbe,
    ProcessInfo,
    ScriptRun,
    VolumeProbe,
)

__all__ = [
    "BusyPort", "ClusterSettings", "DeviceProbe", "DirProbe", "Facts", "OsRelease", "PortNeed", "PortProbe",
    "ProcessInfo", "ScriptRun", "VolumeProbe", "airlift_ports", "gather_facts",
]
