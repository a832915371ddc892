"""API tokens: `hub_<id>_<secret>`, shown once when made. The hub keeps the id and the sha256 of
the secret (the secret is random, so a fast hash is enough), finds the row by id and compares the
hash in constant time."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from hub.models import ApiToken, aware, utcnow

SCOPES = ("publish", "enroll")


@dataclass(frozen=True)
class NewToken:
    token: str
    scope: str
    expires_at: datetime.datetime | None


def create_token(db: Session, scope: str, expires_in: datetime.timedelta | None = None) -> NewToken:
    if scope not in SCOPES:
        raise ValueError(f"scope {scope!r} is not one of {', '.join(SCOPES)}")
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    expires_at = utcnow() + expires_in if expires_in else None
    db.add(ApiToken(id=token_id, scope=scope, secret_hash=_hash(secret), expires_at=expires_at))
    db.commit()
    return NewToken(f"hub_{token_id}_{secret}", scope, expires_at)


def check_token(db: Session, token: str, scope: str) -> bool:
    """True when `token` is a live token of `scope`."""
    prefix, _, rest = token.partition("_")
    token_id, _, secret = rest.partition("_")
    row = db.get(ApiToken, token_id) if prefix == "hub" and token_id and secret else None
    if row is None:
        hmac.compare_digest(_hash(secret), "0" * 64)  # the same work for a token that is not there
        return False
    fresh = row.expires_at is None or aware(row.expires_at) > utcnow()
    return hmac.compare_digest(_hash(secret), row.secret_hash) and row.scope == scope and fresh


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
