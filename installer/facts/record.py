"""The facts record: what one host looks like, gathered once, read by every check.

It is plain data so it can be saved as facts.json, sent by an agent over the wire and read back:
`Facts.from_dict(json.loads(text))` rebuilds exactly what `to_dict()` wrote.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from installer.facts.host_record import (
    CgroupFacts,
    ClusterSettings,
    DnsFacts,
    FsyncProbe,
    Leftovers,
    Limits,
    NetworkFacts,
    SecurityFacts,
)


@dataclass(frozen=True)
class OsRelease:
    """The fields of /etc/os-release the OS check reads."""

    id: str = ""
    version_id: str = ""
    name: str = ""
    pretty_name: str = ""


@dataclass(frozen=True)
class ProcessInfo:
    """A running process that would fight with the Kubernetes Airlift starts."""

    name: str
    pid: int
    cmdline: str


@dataclass(frozen=True)
class BusyPort:
    """A port some process already holds, and that process where the host lets us see it."""

    port: int
    holder_pid: int | None = None
    holder_name: str | None = None


@dataclass(frozen=True)
class PortProbe:
    """Ports first..last of one protocol, tried by binding each: which ones are taken.

    `error` is set when the probe itself could not tell (for example no permission to bind).
    """

    protocol: str
    first: int
    last: int
    purpose: str
    busy: list[BusyPort] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class VolumeProbe:
    """A profile volume: does it exist, and what the filesystem that holds (or will hold) it offers.

    `probed_path` is the volume path itself, or its nearest existing parent when it is missing.
    `write_bytes_per_s` is measured only when the profile sets minTransferRate.
    """

    path: str
    exists: bool
    is_dir: bool
    probed_path: str
    free_bytes: int | None
    fs_type: str | None
    write_bytes_per_s: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class DeviceProbe:
    """A device path (glob) the profile needs, and what matched it on this host."""

    path: str
    matches: list[str]


@dataclass(frozen=True)
class ScriptRun:
    """One of the manifest's customChecks scripts, as it ran on this host."""

    index: int
    description: str
    exit_code: int | None
    output: str
    timed_out: bool
    seconds: float


@dataclass(frozen=True)
class DirProbe:
    """A folder the installer must write to (the temp dir, the state dir).

    `needed_bytes` is what the install will put there (for the state dir: the registry's images),
    so a disk too small is found before anything is written.
    """

    path: str
    writable: bool
    free_bytes: int | None = None
    error: str | None = None
    needed_bytes: int = 0


@dataclass(frozen=True)
class Facts:
    """Everything the checks need to know about one host.

    `hostname` and `addresses` name the node to the installer when an agent sends its facts
    (node identity, advertise addresses); `installer_pid` lets the port check tell the
    installer's own sockets from a conflict. `cluster` is what the answers give this node (its
    address, the pod and service ranges); the fields after it have defaults so facts an agent of
    an older release sends still load.
    """

    hostname: str
    os: OsRelease
    kernel_release: str
    cpu_count: int
    ram_bytes: int
    swap_total_bytes: int
    modules: dict[str, str]          # name -> loaded | builtin | loadable | missing | unknown
    sysctls: dict[str, str | None]   # name -> value, None when the kernel has no such key
    processes: list[ProcessInfo]
    ports: list[PortProbe]
    volumes: list[VolumeProbe]
    devices: list[DeviceProbe]
    custom_checks: list[ScriptRun]
    tempdir: DirProbe
    state_dir: DirProbe
    addresses: list[str]
    installer_pid: int
    as_root: bool
    gathered_at: float
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    network: NetworkFacts = field(default_factory=NetworkFacts)
    dns: DnsFacts = field(default_factory=DnsFacts)
    fsync: list[FsyncProbe] = field(default_factory=list)
    cgroups: CgroupFacts = field(default_factory=CgroupFacts)
    security: SecurityFacts = field(default_factory=SecurityFacts)
    limits: Limits = field(default_factory=Limits)
    leftovers: Leftovers = field(default_factory=Leftovers)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Facts:
        """Rebuild the record from `to_dict()` output (for example facts sent by an agent)."""
        facts: Facts = _build(cls, data)
        return facts

    def save(self, path: Path) -> None:
        """Write facts.json; the caller picks the path (normally the state directory)."""
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _build(tp: Any, value: Any) -> Any:
    """Turn JSON data back into the typed record, following the dataclass annotations."""
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = typing.get_type_hints(tp)
        return tp(**{f.name: _build(hints[f.name], value[f.name]) for f in dataclasses.fields(tp)
                     if f.name in value})
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        if value is None:
            return None
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(inner[0], value)
    if origin is list:
        (item,) = typing.get_args(tp)
        return [_build(item, v) for v in value]
    if origin is dict:
        _, item = typing.get_args(tp)
        return {k: _build(item, v) for k, v in value.items()}
    return value
