"""Passwords as scrypt hashes; tokens shown once and kept hashed."""

from __future__ import annotations

import datetime

from sqlalchemy.orm import Session

from hub.models import ApiToken
from hub.passwords import check_password, hash_password
from hub.tokens import check_token, create_token


def test_a_password_is_kept_as_a_salted_scrypt_hash():
    first, second = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert first.startswith("scrypt$") and first != second and "s3cret" not in first
    assert check_password("s3cret-pass", first) and not check_password("s3cret-pasS", first)
    assert not check_password("s3cret-pass", "md5$nothing")


def test_a_token_is_stored_only_as_a_hash_and_expires(hub_engine):
    with Session(hub_engine) as db:
        made = create_token(db, "enroll", datetime.timedelta(hours=1))
        stored = db.get(ApiToken, made.token.split("_")[1])
        assert stored is not None and made.token.split("_", 2)[2] not in stored.secret_hash
        assert check_token(db, made.token, "enroll") and not check_token(db, made.token, "publish")
        stored.expires_at = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
        db.commit()
        assert not check_token(db, made.token, "enroll")
