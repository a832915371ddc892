"""Node profiles: parse `nodeProfiles[]` into NodeProfile objects, checking what structure alone
cannot (sizes parse, port ranges are valid, min <= max, unique names). Values of the wrong type
are skipped here because the schema check already reported them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from installer.manifest.models import (
    CustomCheck,
    Device,
    NodeProfile,
    OSRequirement,
    PortRange,
    Requirements,
    Taint,
    Volume,
)
from installer.manifest.problems import Problems
from installer.manifest.shapes import as_dict, as_list, as_str
from installer.manifest.units import parse_port_range, parse_rate, parse_size

DEFAULT_PROFILE = "node"
_PROTOCOLS = ("tcp", "udp")
_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def parse_profiles(raw: Any, problems: Problems) -> dict[str, NodeProfile]:
    """name -> NodeProfile; with no profiles at all, Gravity's default single profile "node"."""
    if not isinstance(raw, list) or not raw:
        return {DEFAULT_PROFILE: NodeProfile(name=DEFAULT_PROFILE)}
    profiles: dict[str, NodeProfile] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        path = f"nodeProfiles[{i}]"
        name = item["name"]
        if name in profiles:
            problems.add(f"{path}.name", f'profile "{name}" is defined twice')
            continue
        profiles[name] = NodeProfile(
            name=name,
            description=as_str(item.get("description")),
            labels={str(k): str(v) for k, v in as_dict(item.get("labels")).items()},
            taints=_taints(item.get("taints"), f"{path}.taints", problems),
            service_role=_service_role(item.get("serviceRole"), f"{path}.serviceRole", problems),
            requirements=_requirements(as_dict(item.get("requirements")), f"{path}.requirements", problems),
            expand_policy=as_str(item.get("expandPolicy")),
        )
    return profiles


def _requirements(raw: dict, path: str, problems: Problems) -> Requirements:
    cpu, ram, network = as_dict(raw.get("cpu")), as_dict(raw.get("ram")), as_dict(raw.get("network"))
    cpu_min = _cpu(cpu.get("min"), f"{path}.cpu.min", problems)
    cpu_max = _cpu(cpu.get("max"), f"{path}.cpu.max", problems)
    _ordered(cpu_min, cpu_max, f"{path}.cpu", problems)
    ram_min = _size(ram.get("min"), f"{path}.ram.min", problems)
    ram_max = _size(ram.get("max"), f"{path}.ram.max", problems)
    _ordered(ram_min, ram_max, f"{path}.ram", problems)
    return Requirements(
        cpu_min=cpu_min, cpu_max=cpu_max, ram_min=ram_min, ram_max=ram_max,
        os=tuple(
            OSRequirement(name=o["name"].lower(), versions=tuple(str(v) for v in as_list(o.get("versions"))))
            for o in as_list(raw.get("os")) if isinstance(o, dict) and isinstance(o.get("name"), str)
        ),
        min_transfer_rate=_rate(network.get("minTransferRate"), f"{path}.network.minTransferRate", problems),
        ports=_ports(network.get("ports"), f"{path}.network.ports", problems),
        volumes=_volumes(raw.get("volumes"), f"{path}.volumes", problems),
        devices=tuple(
            Device(path=d["path"], permissions=d.get("permissions", "rw"), file_mode=d.get("fileMode", "0666"),
                   uid=d.get("uid", 0), gid=d.get("gid", 0))
            for d in as_list(raw.get("devices")) if isinstance(d, dict) and isinstance(d.get("path"), str)
        ),
        custom_checks=tuple(
            CustomCheck(script=c["script"], description=as_str(c.get("description")))
            for c in as_list(raw.get("customChecks")) if isinstance(c, dict) and isinstance(c.get("script"), str)
        ),
    )


def _ports(raw: Any, path: str, problems: Problems) -> tuple[PortRange, ...]:
    out: list[PortRange] = []
    for i, item in enumerate(as_list(raw)):
        if not isinstance(item, dict):
            continue
        protocol = item.get("protocol", "tcp")
        if protocol not in _PROTOCOLS:
            problems.add(f"{path}[{i}].protocol", f'"{protocol}" is not a protocol (use "tcp" or "udp")')
            continue
        for j, text in enumerate(as_list(item.get("ranges"))):
            try:
                first, last = parse_port_range(text)
            except ValueError as exc:
                problems.add(f"{path}[{i}].ranges[{j}]", str(exc))
                continue
            out.append(PortRange(protocol=protocol, first=first, last=last))
    return tuple(out)


def _volumes(raw: Any, path: str, problems: Problems) -> tuple[Volume, ...]:
    out: list[Volume] = []
    for i, item in enumerate(as_list(raw)):
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            continue
        where = f"{path}[{i}]"
        if not item["path"].startswith("/"):
            problems.add(f"{where}.path", f'"{item["path"]}" is not an absolute path')
        out.append(Volume(
            path=item["path"],
            name=item.get("name"),
            capacity=_size(item.get("capacity"), f"{where}.capacity", problems),
            filesystems=tuple(str(f) for f in as_list(item.get("filesystems"))),
            create_if_missing=item.get("createIfMissing", True) is True,
            skip_if_missing=item.get("skipIfMissing", False) is True,
            min_transfer_rate=_rate(item.get("minTransferRate"), f"{where}.minTransferRate", problems),
            uid=_id(item.get("uid"), f"{where}.uid", problems),
            gid=_id(item.get("gid"), f"{where}.gid", problems),
            mode=_mode(item.get("mode"), f"{where}.mode", problems),
        ))
    return tuple(out)


def _taints(raw: Any, path: str, problems: Problems) -> tuple[Taint, ...]:
    out: list[Taint] = []
    for i, item in enumerate(as_list(raw)):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            continue
        effect = item.get("effect")
        if effect not in _TAINT_EFFECTS:
            problems.add(f"{path}[{i}].effect", f'"{effect}" is not a taint effect ({", ".join(_TAINT_EFFECTS)})')
            continue
        out.append(Taint(key=item["key"], effect=effect, value=as_str(item.get("value"))))
    return tuple(out)


def _service_role(raw: Any, path: str, problems: Problems) -> str | None:
    if raw is None or not isinstance(raw, str):
        return None
    if raw not in ("master", "node"):
        problems.add(path, f'"{raw}" is not a service role (use "master" or "node")')
        return None
    return raw


def _cpu(raw: Any, path: str, problems: Problems) -> int | None:
    if raw is None or isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    if raw != int(raw) or raw < 1:
        problems.add(path, f"{raw} is not a whole number of CPUs (1 or more)")
        return None
    return int(raw)


def _size(raw: Any, path: str, problems: Problems) -> int | None:
    return _parsed(raw, path, problems, parse_size)


def _rate(raw: Any, path: str, problems: Problems) -> int | None:
    return _parsed(raw, path, problems, parse_rate)


def _parsed(raw: Any, path: str, problems: Problems, parse: Callable[[str], int]) -> int | None:
    if not isinstance(raw, str):
        return None
    try:
        return parse(raw)
    except ValueError as exc:
        problems.add(path, str(exc))
        return None


def _id(raw: Any, path: str, problems: Problems) -> int | None:
    if not isinstance(raw, int) or isinstance(raw, bool):
        return None
    if raw < 0:
        problems.add(path, f"{raw} is not a user or group id (0 or more)")
        return None
    return raw


def _mode(raw: Any, path: str, problems: Problems) -> int | None:
    if not isinstance(raw, str):
        return None
    try:
        mode = int(raw, 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o7777:
        problems.add(path, f'"{raw}" is not an octal file mode (e.g. "0755")')
        return None
    return mode


def _ordered(low: int | None, high: int | None, path: str, problems: Problems) -> None:
    if low is not None and high is not None and low > high:
        problems.add(path, "min is greater than max")
