"""The one check of a bearer token, shared by every server the installer runs for other nodes
(agent API, blob server): constant time, so a wrong token reveals nothing by its timing."""

from __future__ import annotations

import hmac


def bearer_matches(expected: str, header: str | None) -> bool:
    """True when an `Authorization: Bearer <token>` header carries exactly `expected`."""
    given = (header or "").removeprefix("Bearer ").strip()
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())
