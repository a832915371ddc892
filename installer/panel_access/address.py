"""Where the control panel is reached: its link, as the install log, `./install status` and
`./install panel-link` print it."""

from __future__ import annotations


def panel_url(address: str, port: int, path: str = "/") -> str:
    shown = f"[{address}]" if ":" in address else address
    return f"https://{shown}:{port}{path}"
