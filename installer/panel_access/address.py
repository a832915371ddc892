"""Where the control panel is reached: its link, as the install log, `./install status` and
`./install panel-link` print it."""

from __future__ import annotations

from installer.hostport import host_port


def panel_url(address: str, port: int, path: str = "/") -> str:
    return f"https://{host_port(address, port)}{path}"
