"""Services as systemd units, on hosts where systemd is PID 1.

Airlift writes its own unit files rather than running k3s's install.sh: the unit is a few lines,
the same code serves the registry too, and install.sh would also create symlinks and scripts that
the uninstall would then have to chase. The unit mirrors install.sh's choices (Restart=always,
RestartSec=5s, env in a 0600 file). Only k3s's own units keep KillMode=process and Delegate=yes, so
its pods survive a restart of k3s (uninstall then ends them as k3s-killall.sh does); stopping any
other service ends every process it started. Its output goes to the journal, read with journalctl.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence

from installer.errors import AirliftError
from installer.host import Host
from installer.services.names import K3S_AGENT, K3S_SERVER

UNIT_DIR = "/etc/systemd/system"
KEEPS_CHILDREN = (K3S_SERVER, K3S_AGENT)
JOURNAL_TIMEOUT_S = 15


def render_unit(name: str, argv: Sequence[str], restart: bool) -> str:
    """The text of `<name>.service`."""
    children = ["KillMode=process", "Delegate=yes"] if name in KEEPS_CHILDREN else []
    return "\n".join([
        "[Unit]",
        f"Description=Airlift service {name}",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=simple",
        f"EnvironmentFile=-{UNIT_DIR}/{name}.env",
        f"ExecStart={shlex.join(argv)}",
        f"Restart={'always' if restart else 'no'}",
        "RestartSec=5s",
        *children,
        "LimitNOFILE=1048576",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])


def render_env(env: Mapping[str, str]) -> str:
    """The EnvironmentFile: one KEY="value" per line, quoted for systemd."""
    lines = []
    for key, value in sorted(env.items()):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'{key}="{escaped}"')
    return "\n".join(lines) + ("\n" if lines else "")


class SystemdServices:
    """ServiceManager backed by systemctl."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def install(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None,
                restart: bool = True) -> None:
        unit_dir = self.host.path(UNIT_DIR)
        self.host.write_file(unit_dir / f"{name}.env", render_env(env or {}), mode=0o600)
        self.host.write_file(unit_dir / f"{name}.service", render_unit(name, [str(a) for a in argv], restart))
        self.host.run(["systemctl", "daemon-reload"])
        self.host.run(["systemctl", "enable", f"{name}.service"])

    def start(self, name: str) -> None:
        self.host.run(["systemctl", "start", f"{name}.service"])

    def stop(self, name: str) -> None:
        self.host.run(["systemctl", "stop", f"{name}.service"], check=False)

    def is_running(self, name: str) -> bool:
        return self.host.run(["systemctl", "is-active", "--quiet", f"{name}.service"], check=False).returncode == 0

    def remove(self, name: str) -> None:
        self.host.run(["systemctl", "disable", "--now", f"{name}.service"], check=False)
        unit_dir = self.host.path(UNIT_DIR)
        for suffix in (".service", ".env"):
            self.host.remove(unit_dir / f"{name}{suffix}")
        self.host.run(["systemctl", "daemon-reload"], check=False)
        self.host.run(["systemctl", "reset-failed", f"{name}.service"], check=False)

    def log_tail(self, name: str, lines: int = 15) -> str:
        """The unit's last journal lines (journalctl run through the Host, never read as a file)."""
        argv = ["journalctl", "--unit", f"{name}.service", "--no-pager", "--output", "cat", "--lines", str(lines)]
        try:
            done = self.host.run(argv, check=False, timeout=JOURNAL_TIMEOUT_S)
        except AirliftError:
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    def log_where(self, name: str) -> str:
        return f"journalctl -u {name}.service"
