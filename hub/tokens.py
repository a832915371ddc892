"""API tokens: `hub_<id>_<secret>`, shown once when made. The hub keeps the id and the sha256 of
the secret (the secret is random, so a fast hash is enough), finds the row by id and compares the
hash in constant time."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from hub.models import ApiToken, aware, utcnow

SCOPES = ("publish", "enroll")


@dataclass(frozen=True)
class NewToken:
    token: str
    scope: str
    expires_at: datetime.datetime | None


class TokenRefused(Exception):
    """An enroll token that does not admit a site; the message says why, for the site's operator."""


def create_token(db: Session, scope: str, expires_in: datetime.timedelta | None = None, uses: int | None = 1,
                 channel: str | None = None) -> NewToken:
    """A new token; an enroll token admits `uses` sites (None: any number until it expires) onto
    `channel` (None: stable). Publish tokens take neither."""
    if scope not in SCOPES:
        raise ValueError(f"scope {scope!r} is not one of {', '.join(SCOPES)}")
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    expires_at = utcnow() + expires_in if expires_in else None
    enroll = scope == "enroll"
    db.add(ApiToken(id=token_id, scope=scope, secret_hash=token_hash(secret), expires_at=expires_at,
                    uses_left=uses if enroll else None, channel=channel if enroll else None))
    db.commit()
    return NewToken(f"hub_{token_id}_{secret}", scope, expires_at)


def check_token(db: Session, token: str, scope: str) -> bool:
    """True when `token` is a live token of `scope`."""
    prefix, _, rest = token.partition("_")
    token_id, _, secret = rest.partition("_")
    row = db.get(ApiToken, token_id) if prefix == "hub" and token_id and secret else None
    if row is None:
        hmac.compare_digest(token_hash(secret), "0" * 64)  # the same work for a token that is not there
        return False
    fresh = row.expires_at is None or aware(row.expires_at) > utcnow()
    return hmac.compare_digest(token_hash(secret), row.secret_hash) and row.scope == scope and fresh


def take_enroll_token(db: Session, token: str) -> ApiToken:
    """Use one enrollment of `token` (in the caller's transaction, so a refused enrollment gives it
    back); TokenRefused naming what is wrong with it."""
    prefix, _, rest = token.partition("_")
    token_id, _, secret = rest.partition("_")
    row = db.get(ApiToken, token_id) if prefix == "hub" and token_id and secret else None
    if row is None or not hmac.compare_digest(token_hash(secret), row.secret_hash):
        raise TokenRefused("the enroll token is not one this hub made (mistyped, or made by another hub)")
    if row.scope != "enroll":
        raise TokenRefused(f"a {row.scope} token cannot enroll a site; make one with --scope enroll")
    if row.expires_at is not None and aware(row.expires_at) <= utcnow():
        raise TokenRefused(f"the enroll token expired on {aware(row.expires_at):%Y-%m-%d %H:%M} UTC")
    if row.uses_left is not None:
        taken = db.execute(update(ApiToken).where(ApiToken.id == row.id, ApiToken.uses_left > 0)
                           .values(uses_left=ApiToken.uses_left - 1)
                           .execution_options(synchronize_session=False))
        if taken.rowcount == 0:  # type: ignore[attr-defined]
            raise TokenRefused("the enroll token was used already (it admits a set number of sites)")
    return row


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
