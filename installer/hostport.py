"""A host and port as URLs, logs and targets write them: an IPv6 address in brackets
(`[fd00::5]:443`), so that its own colons are not read as the port's."""

from __future__ import annotations


def host_port(host: str, port: int | str) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
