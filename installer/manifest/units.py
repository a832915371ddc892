"""Sizes, transfer rates and port ranges as Gravity manifests write them ("2GB", "10MB/s",
"8000-8010"). Sizes are binary, as in Gravity: "1GB" is 1024**3 bytes."""

from __future__ import annotations

import re

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
_MULTIPLIERS = {
    "": 1, "b": 1,
    "k": 1024, "kb": 1024, "ki": 1024, "kib": 1024,
    "m": 1024**2, "mb": 1024**2, "mi": 1024**2, "mib": 1024**2,
    "g": 1024**3, "gb": 1024**3, "gi": 1024**3, "gib": 1024**3,
    "t": 1024**4, "tb": 1024**4, "ti": 1024**4, "tib": 1024**4,
}


def parse_size(text: str) -> int:
    """Bytes in a size such as "2GB", "500MB", "1.5Gi" or "1024"; ValueError names the text."""
    match = _SIZE.match(str(text))
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _MULTIPLIERS:
        raise ValueError(f'"{text}" is not a size (use a number and a unit, e.g. "2GB" or "500MB")')
    return int(float(match.group(1)) * _MULTIPLIERS[unit])


def parse_rate(text: str) -> int:
    """Bytes per second in a transfer rate such as "10MB/s" (the "/s" may be left out)."""
    body = str(text).strip()
    if body.lower().endswith("/s"):
        body = body[:-2]
    try:
        return parse_size(body)
    except ValueError:
        raise ValueError(f'"{text}" is not a transfer rate (e.g. "10MB/s")') from None


def parse_port_range(text: str) -> tuple[int, int]:
    """(first, last) of "8080" or "8000-8010"; ports 1-65535 with first <= last."""
    parts = str(text).strip().split("-")
    if len(parts) > 2 or not all(p.strip().isdigit() for p in parts):
        raise ValueError(f'"{text}" is not a port or port range (e.g. "8080" or "8000-8010")')
    first, last = int(parts[0]), int(parts[-1])
    if not (1 <= first <= 65535 and 1 <= last <= 65535):
        raise ValueError(f'"{text}": ports must be between 1 and 65535')
    if first > last:
        raise ValueError(f'"{text}": the range starts after it ends')
    return first, last
