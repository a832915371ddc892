"""The support grant in the state directory (`<state>/support/`, 0700): what the site's operator
allowed, until when, and what the cluster service's tunnel is doing. Once closed or past its
TTL, a grant opens nothing: only a new `./install support open` does."""

from __future__ import annotations

import datetime
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from installer.errors import AirliftError
from installer.events import Event, EventLog
from installer.hostport import host_port
from installer.ports import API_PORT, PANEL_PORT
from installer.state_json import read_json, write_json
from installer.statedir import StateDir

FORMAT = 1
SERVICES = ("panel", "kube", "ssh")
DEFAULT_ALLOW = ("panel",)
DEFAULT_TTL_S = 4 * 3600
MAX_TTL_S = 7 * 86400
TTL = re.compile(r"^(\d+)([mhd])$")
SSH_NODE = re.compile(r"^ssh:[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


@dataclass
class Grant:
    allow: list[str]
    targets: dict[str, str]  # service -> HOST:PORT on this side that the hub may reach
    opened_at: str
    expires_at: str
    opened_by: str
    closed_at: str | None = None
    closed_by: str | None = None
    session: dict[str, Any] = field(default_factory=dict)  # the hub's answer: session id, ports, ssh endpoint
    kube_ca: str | None = None  # the cluster's CA (PEM), sent with the session so the hub's kubeconfig checks it
    host_keys: dict[str, str] = field(default_factory=dict)  # ssh:NODE -> the key its sshd showed at grant

    def expires(self) -> datetime.datetime:
        return datetime.datetime.fromisoformat(self.expires_at)

    def active(self, now: datetime.datetime | None = None) -> bool:
        return self.closed_at is None and (now or _now()) < self.expires()

    def ttl_left_s(self, now: datetime.datetime | None = None) -> int:
        return max(0, int((self.expires() - (now or _now())).total_seconds()))


def parse_ttl(text: str) -> int:
    """`30m`, `4h`, `2d` -> seconds, between one minute and seven days."""
    match = TTL.match(text.strip())
    if match is None:
        raise AirliftError(f"--ttl {text!r} is not a duration", hint="give e.g. 30m, 4h or 1d")
    seconds = int(match.group(1)) * {"m": 60, "h": 3600, "d": 86400}[match.group(2)]
    if not 60 <= seconds <= MAX_TTL_S:
        raise AirliftError(f"--ttl {text}: a support session lasts from 1m to 7d", hint="give e.g. --ttl 4h")
    return seconds


def parse_allow(text: str) -> list[str]:
    """`panel,kube,ssh:node-2` -> names; `ssh` (every node) is expanded by node_ssh.expand."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    wrong = [n for n in names if n not in SERVICES and not SSH_NODE.match(n)]
    if not names or wrong:
        raise AirliftError(f"--allow {text!r}: name one or more of {', '.join(SERVICES)} or ssh:NODE",
                           hint="e.g. --allow panel,kube (the control panel and the Kubernetes API)")
    return list(dict.fromkeys(names))


def default_targets(panel_port: int = PANEL_PORT, api_port: int = API_PORT,
                    panel_host: str = "127.0.0.1") -> dict[str, str]:
    """What the panel and kube services reach on the first master (ssh:NODE: node_ssh.expand):
    the panel listens on the advertise address only, the API on every address."""
    return {"panel": host_port(panel_host, panel_port), "kube": host_port("127.0.0.1", api_port)}


def open_grant(paths: StateDir, allow: list[str], ttl_s: int, targets: dict[str, str], who: str,
               now: datetime.datetime | None = None, kube_ca: str | None = None,
               host_keys: dict[str, str] | None = None) -> Grant:
    """Record a new grant (replacing any earlier one): the cluster service dials out for it."""
    now = now or _now()
    grant = Grant(allow, {k: targets[k] for k in allow}, now.isoformat(timespec="seconds"),
                  (now + datetime.timedelta(seconds=ttl_s)).isoformat(timespec="seconds"), who, kube_ca=kube_ca,
                  host_keys=host_keys or {})
    write_grant(paths, grant)
    write_tunnel_state(paths, {"state": "opening"})
    event(paths, f"support session granted by {who} until {grant.expires_at}: {', '.join(allow)}", "open")
    return grant


def close_grant(paths: StateDir, why: str, now: datetime.datetime | None = None) -> Grant | None:
    """Mark the grant closed (nothing retries after this); the grant, None when none was open."""
    grant = read_grant(paths)
    if grant is None or grant.closed_at is not None:
        return None
    grant.closed_at, grant.closed_by = (now or _now()).isoformat(timespec="seconds"), why
    write_grant(paths, grant)
    event(paths, f"support session closed: {why}", "close")
    return grant


def read_grant(paths: StateDir) -> Grant | None:
    doc = read_json(grant_path(paths), FORMAT)
    if doc is None:
        return None
    doc.pop("format", None)
    try:
        return Grant(**doc)
    except TypeError:
        return None


def write_grant(paths: StateDir, grant: Grant) -> None:
    write_json(grant_path(paths), asdict(grant), FORMAT)


def read_tunnel_state(paths: StateDir) -> dict[str, Any]:
    return read_json(support_dir(paths) / "tunnel.json", FORMAT) or {}


def write_tunnel_state(paths: StateDir, state: dict[str, Any]) -> None:
    write_json(support_dir(paths) / "tunnel.json", {"at": _now().isoformat(timespec="seconds"), **state}, FORMAT)


def support_status(paths: StateDir) -> dict[str, Any] | None:
    """What `./install status` shows: {open, until, state, error, allow}, None when never granted."""
    grant = read_grant(paths)
    if grant is None:
        return None
    tunnel = read_tunnel_state(paths)
    return {"open": grant.active(), "until": grant.expires_at, "allow": grant.allow, "closed_by": grant.closed_by,
            "state": tunnel.get("state") if grant.active() else "closed", "error": tunnel.get("error")}


def status_line(status: dict[str, Any] | None) -> str | None:
    if status is None:
        return None
    if not status["open"]:
        return f"support session closed ({status.get('closed_by') or 'its time ran out'})"
    state = status.get("state")
    how = "connected" if state == "connected" else "reconnecting…" if state == "reconnecting" else state
    return f"support session open until {status['until']} ({how}; {', '.join(status['allow'])})"


def event(paths: StateDir, message: str, action: str, **data: Any) -> None:
    """A support event in the site's events log (and so in `./install report`)."""
    EventLog(paths.events).append(Event(kind="support", status="info", message=message,
                                        data={"action": action, **data}))


def support_dir(paths: StateDir) -> Path:
    return paths.root / "support"


def grant_path(paths: StateDir) -> Path:
    return support_dir(paths) / "grant.json"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)

