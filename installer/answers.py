"""The answers: every choice an install needs, shared by `--config answers.yaml`, flags and the wizard.

Keys in answers.yaml are the install flags without `--` (`advertise-addr: 10.0.0.5`), so a
file and a command line read the same. Everything is validated before the first change and
every problem is reported at once, with its path. The answers actually used are saved in the
state directory so any install can be replayed headless. This host's network (its addresses and
default route) is an input, probed once by the caller (installer.facts.addresses).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from installer.errors import AirliftError
from installer.facts.addresses import HostNetwork
from installer.host import Host
from installer.manifest import Manifest, Problem
from installer.ports import (
    AGENT_PORT,
    ALERTMANAGER_PORT,
    API_PORT,
    EXPORTER_PORT,
    MONITORING_PORT,
    PANEL_PORT,
    REGISTRY_METRICS_PORT,
    REGISTRY_PORT,
    WIZARD_PORT,
)
from installer.statedir import DEFAULT_STATE_DIR

STATUS_INTERVAL = 60
STATUS_INTERVAL_RANGE = (5, 86400)  # a status hook every 5 s at most, once a day at least
HUB_INTERVAL = 300
HUB_INTERVAL_RANGE = (5, 86400)  # a check-in with the vendor's hub every 5 s at most, once a day at least


@dataclass
class Answers:
    flavor: str | None = None
    profile: str | None = None
    advertise_addr: str | None = None
    pod_cidr: str = "10.42.0.0/16"
    service_cidr: str = "10.43.0.0/16"
    registry_port: int = REGISTRY_PORT
    wizard_port: int = WIZARD_PORT
    api_port: int = API_PORT
    agent_port: int = AGENT_PORT
    panel_port: int = PANEL_PORT  # the control panel's HTTPS port on the first master
    skip_checks: list[str] = field(default_factory=list)
    state_dir: str = DEFAULT_STATE_DIR
    accept_eula: bool = False
    ready_timeout: int = 300  # seconds for a node to become Ready
    hook_timeout: int = 600  # seconds for each hook Job to finish
    status_interval: int = STATUS_INTERVAL  # seconds between two runs of the application's status hook
    hub_interval: int = HUB_INTERVAL  # seconds between two check-ins with the vendor's hub (installer/hub_link)
    hub_auto_download: bool = False  # download each release the hub announces in the background (never upgrade)
    nodes: list[dict] = field(default_factory=list)  # over SSH: {address, user, key | password: ask, role, port}
    exporter_port: int = EXPORTER_PORT
    monitoring_port: int = MONITORING_PORT
    alertmanager_port: int = ALERTMANAGER_PORT
    registry_metrics_port: int = REGISTRY_METRICS_PORT
    monitoring_retention: str = "15d"  # Prometheus keeps this long (a Prometheus duration)...
    monitoring_retention_size: str = "2GB"  # ...and at most this much on the state directory's disk
    alert_for: str = "5m"  # how long a condition holds before its alert fires
    alert_webhook: str | None = None  # Alertmanager posts firing alerts here
    alert_email: str | None = None  # ...and mails them here, through alert-smtp (host:port) from alert-email-from
    alert_smtp: str | None = None
    alert_email_from: str | None = None

    def to_dict(self) -> dict:
        """The answers.yaml form: flag names as keys."""
        return {k.replace("_", "-"): v for k, v in asdict(self).items()}


KEYS = {f.name.replace("_", "-"): f.name for f in fields(Answers)}
PORT_KEYS = ("registry-port", "wizard-port", "api-port", "agent-port", "panel-port", "exporter-port",
             "monitoring-port", "alertmanager-port", "registry-metrics-port")
TIMEOUT_KEYS = ("ready-timeout", "hook-timeout")
INT_KEYS = (*PORT_KEYS, *TIMEOUT_KEYS, "status-interval", "hub-interval")
BOOL_KEYS = ("accept-eula", "hub-auto-download")
RANGES = {"status-interval": STATUS_INTERVAL_RANGE, "hub-interval": HUB_INTERVAL_RANGE}


class AnswersError(AirliftError):
    """Every problem found in the answers, each with its path."""

    def __init__(self, problems: list[Problem]) -> None:
        lines = [f"{p.path}: {p.message}" for p in problems]
        super().__init__(
            f"The answers have {len(problems)} problem(s):\n  " + "\n  ".join(lines),
            hint="correct the answers (flags or answers file) and run the install again",
        )
        self.problems = problems


def load_file(path: Path) -> dict:
    """Read an answers file; a file that is not a YAML mapping is refused with its name."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise AirliftError(f"Cannot read answers file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise AirliftError(f"Answers file {path} is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AirliftError(f"Answers file {path} must be a mapping of settings, like `flavor: one`")
    return data


def saved(path: Path) -> Answers:
    """The answers an install saved (resolved then, so complete): status and the cluster service
    read them as they are, without probing the host again."""
    return Answers(**{KEYS[k]: v for k, v in load_file(path).items() if k in KEYS})


def save(answers: Answers, path: Path) -> None:
    Host().write_file(path, yaml.safe_dump(answers.to_dict(), sort_keys=False))


def resolve(data: dict, manifest: Manifest, network: HostNetwork) -> Answers:
    """Validate answers and fill in the defaults; raise AnswersError naming every problem."""
    problems = validate(data, manifest, network)
    if problems:
        raise AnswersError(problems)
    return _with_defaults(_coerce(data), manifest, network)


def validate(data: dict, manifest: Manifest, network: HostNetwork) -> list[Problem]:
    """Every problem in `data` at once (unknown keys, types, flavor/profile, address, CIDRs, ports)."""
    problems = [Problem(k, f"unknown setting; known settings: {', '.join(KEYS)}") for k in data if k not in KEYS]
    problems += _type_problems(data)
    if problems:
        return problems
    answers = _with_defaults(_coerce(data), manifest, network)
    problems += _flavor_problems(answers, manifest)
    problems += _address_problems(answers, network)
    problems += _cidr_problems(answers, network)
    problems += _port_problems(answers)
    if not answers.state_dir.startswith("/"):
        problems.append(Problem("state-dir", f'"{answers.state_dir}" must be an absolute path'))
    return problems + _monitoring_problems(answers)


DURATION = re.compile(r"^[1-9][0-9]*(ms|s|m|h|d|w|y)$")
SIZE = re.compile(r"^[1-9][0-9]*(B|KB|MB|GB|TB)$")


def _monitoring_problems(answers: Answers) -> list[Problem]:
    """Prometheus refuses to start on a malformed duration or size: caught here, before any change."""
    problems = []
    for key, value in (("monitoring-retention", answers.monitoring_retention), ("alert-for", answers.alert_for)):
        if not DURATION.match(value):
            problems.append(Problem(key, f'"{value}" is not a duration such as 30s, 5m, 12h, 15d or 8w'))
    if not SIZE.match(answers.monitoring_retention_size):
        problems.append(Problem("monitoring-retention-size",
                                f'"{answers.monitoring_retention_size}" is not a size such as 512MB or 2GB'))
    if answers.alert_webhook and not answers.alert_webhook.startswith(("http://", "https://")):
        problems.append(Problem("alert-webhook", f'"{answers.alert_webhook}" is not an http:// or https:// URL'))
    if answers.alert_email and not (answers.alert_smtp and answers.alert_email_from):
        problems.append(Problem("alert-email", "needs alert-smtp (host:port of the mail relay) and alert-email-from"))
    return problems


def _type_problems(data: dict) -> list[Problem]:
    problems = []
    for key, value in data.items():
        if value is None or key not in KEYS:
            continue
        if key in PORT_KEYS and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append(Problem(key, f'"{value}" is not a port number'))
        elif key in TIMEOUT_KEYS and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            problems.append(Problem(key, f'"{value}" is not a number of seconds (a whole number, 1 or more)'))
        elif key in RANGES and not _in_range(value, RANGES[key]):
            low, high = RANGES[key]
            problems.append(Problem(key, f'"{value}" is not a number of seconds from {low} to {high}'))
        elif key in BOOL_KEYS and not isinstance(value, bool):
            problems.append(Problem(key, f'"{value}" must be true or false'))
        elif key == "skip-checks" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            problems.append(Problem(key, "must be a list of check ids"))
        elif key == "nodes":
            problems += _ssh_node_problems(value)
        elif key not in (*INT_KEYS, *BOOL_KEYS, "skip-checks", "nodes") and not isinstance(value, str):
            problems.append(Problem(key, f'"{value}" must be text'))
    return problems


def _in_range(value: Any, bounds: tuple[int, int]) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and bounds[0] <= value <= bounds[1]


SSH_NODE_KEYS = {"address": str, "user": str, "key": str, "password": str, "role": str, "port": int}


def _ssh_node_problems(value: Any) -> list[Problem]:
    """`nodes`: hosts the installer reaches over SSH, each `{address, key | password: ask, user?,
    role?, port?}`. A password is never written here: `ask` says one is asked for when the install
    starts (docs/transfer-and-ssh.md); an encrypted key's passphrase is asked for the same way."""
    if not isinstance(value, list):
        return [Problem("nodes", "must be a list of hosts, each {address, user, key, role}")]
    problems = []
    seen: dict[str, int] = {}
    for i, node in enumerate(value):
        where = f"nodes[{i}]"
        if not isinstance(node, dict):
            problems.append(Problem(where, "must be a mapping such as "
                                           "{address: 10.0.0.2, user: root, key: /root/.ssh/id_ed25519}"))
            continue
        problems += [Problem(f"{where}.{k}", f"unknown setting; known: {', '.join(SSH_NODE_KEYS)}")
                     for k in node if k not in SSH_NODE_KEYS]
        for k, v in node.items():
            kind = SSH_NODE_KEYS.get(k)
            if kind is not None and (not isinstance(v, kind) or isinstance(v, bool)):
                shown = "this value" if k == "password" else f'"{v}"'
                problems.append(Problem(f"{where}.{k}", f'{shown} must be {"a port number" if kind is int else "text"}'))
        problems += _ssh_login_problems(where, node)
        address = node.get("address")
        if isinstance(address, str) and address in seen:
            problems.append(Problem(f"{where}.address", f"{address} is already nodes[{seen[address]}]"))
        seen.setdefault(str(address), i)
    return problems


def _ssh_login_problems(where: str, node: dict) -> list[Problem]:
    """How the node is logged in to: exactly one of `key` and `password: ask`, on a real port."""
    problems = []
    if "address" not in node:
        problems.append(Problem(f"{where}.address", "is required"))
    if "key" in node and "password" in node:
        problems.append(Problem(f"{where}.password", "give either key or password, not both"))
    elif "key" not in node and "password" not in node:
        problems.append(Problem(f"{where}.key", "is required (or password: ask, to log in with a password)"))
    elif isinstance(node.get("password"), str) and node["password"] != "ask":
        problems.append(Problem(f"{where}.password", "must be `ask`: a password is never written in the answers; "
                                                     "it is asked for when the install starts"))
    port = node.get("port")
    if isinstance(port, int) and not isinstance(port, bool) and not 1 <= port <= 65535:
        problems.append(Problem(f"{where}.port", f"{port} is not a port number (1-65535)"))
    return problems


def require_eula(answers: Answers, manifest: Manifest) -> None:
    """A bundle with a licence installs only once the operator accepted it (the wizard's licence
    screen, a terminal prompt, `--accept-eula` or `accept-eula: true`)."""
    if manifest.eula and not answers.accept_eula:
        raise AirliftError(
            f"The licence of {manifest.name} {manifest.version} has not been accepted",
            hint="read it (installer.eula in the bundle's app.yaml, or run ./install --cli on a terminal), "
                 "then accept it with --accept-eula or `accept-eula: true` in the answers file",
        )


def _coerce(data: dict) -> Answers:
    return Answers(**{KEYS[k]: v for k, v in data.items() if v is not None})


def _with_defaults(answers: Answers, manifest: Manifest, network: HostNetwork) -> Answers:
    if answers.flavor is None:
        answers.flavor = manifest.default_flavor or (manifest.flavors[0].name if manifest.flavors else None)
    if answers.profile is None and answers.flavor in _flavor_names(manifest):
        answers.profile = _first_profile(manifest, answers.flavor)
    if answers.advertise_addr is None:
        answers.advertise_addr = network.default_addr
    return answers


def _flavor_names(manifest: Manifest) -> list[str]:
    return [f.name for f in manifest.flavors]


def _flavor_profiles(manifest: Manifest, flavor: str) -> list[str]:
    return [n.profile for n in manifest.flavor(flavor).nodes]


def _first_profile(manifest: Manifest, flavor: str) -> str | None:
    profiles = _flavor_profiles(manifest, flavor)
    return profiles[0] if profiles else None


def _flavor_problems(answers: Answers, manifest: Manifest) -> list[Problem]:
    names = _flavor_names(manifest)
    if answers.flavor not in names:
        return [Problem("flavor", f'"{answers.flavor}" is not a flavor of {manifest.name}; choose one of: {", ".join(names)}')]
    allowed = _flavor_profiles(manifest, answers.flavor)
    if answers.profile not in allowed:
        return [Problem("profile", f'"{answers.profile}" is not a node profile of flavor {answers.flavor}; '
                        f'choose one of: {", ".join(dict.fromkeys(allowed))}')]
    return []


def _address_problems(answers: Answers, network: HostNetwork) -> list[Problem]:
    addr = answers.advertise_addr
    if addr is None:
        return [Problem("advertise-addr", "this host has no default route; give the address other hosts reach it on")]
    try:
        ipaddress.IPv4Address(addr)
    except ValueError:
        return [Problem("advertise-addr", f'"{addr}" is not an IPv4 address')]
    if addr not in network.addresses:
        return [Problem("advertise-addr", f'"{addr}" is not an address of this host; '
                        f'choose one of: {", ".join(sorted(network.addresses))}')]
    return []


def _cidr_problems(answers: Answers, network: HostNetwork) -> list[Problem]:
    problems: list[Problem] = []
    nets: dict[str, ipaddress.IPv4Network] = {}
    for key, value in (("pod-cidr", answers.pod_cidr), ("service-cidr", answers.service_cidr)):
        try:
            nets[key] = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            problems.append(Problem(key, f'"{value}" is not a valid IPv4 network: {exc}'))
    for key, net in nets.items():
        for iface in network.interfaces:
            if not iface.ip.is_loopback and net.overlaps(iface.network):
                problems.append(Problem(key, f"{net} overlaps this host's network {iface.network}; choose another range"))
    if len(nets) == 2 and nets["pod-cidr"].overlaps(nets["service-cidr"]):
        problems.append(Problem("service-cidr", f"{nets['service-cidr']} overlaps pod-cidr {nets['pod-cidr']}"))
    return problems


def _port_problems(answers: Answers) -> list[Problem]:
    problems = []
    seen: dict[int, str] = {}
    for key in PORT_KEYS:
        port = getattr(answers, KEYS[key])
        if not 1 <= port <= 65535:
            problems.append(Problem(key, f"{port} is not a port number (1-65535)"))
        elif port in seen:
            problems.append(Problem(key, f"{port} is already used by {seen[port]}"))
        seen.setdefault(port, key)
    return problems


def merged(*layers: dict[str, Any]) -> dict:
    """Later layers win, keys with value None do not count (a flag not given keeps the file's value)."""
    out: dict = {}
    for layer in layers:
        out.update({k: v for k, v in layer.items() if v is not None and v != []})
    return out
