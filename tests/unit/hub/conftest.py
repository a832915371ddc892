"""The hub in-process (Flask test client) on a migrated database, SQLite and PostgreSQL alike
(hub_database_url is parametrized over both; tests/fixtures/postgres.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hub import migrate
from hub.app import create_app
from hub.db import make_engine
from hub.models import User
from hub.passwords import hash_password
from hub.tokens import create_token

PASSWORD = "correct horse battery"


@pytest.fixture
def hub_engine(hub_database_url: str) -> Iterator[Engine]:
    engine = make_engine(hub_database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def hub_app(hub_engine: Engine, tmp_path: Path) -> Flask:
    return create_app(hub_engine, tmp_path / "data")


@pytest.fixture
def client(hub_app: Flask) -> FlaskClient:
    return hub_app.test_client()


@pytest.fixture
def publish_token(hub_engine: Engine) -> str:
    with Session(hub_engine) as db:
        return create_token(db, "publish").token


@pytest.fixture
def api(client: FlaskClient, publish_token: str) -> FlaskClient:
    """A client that sends the publish token with every request."""
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {publish_token}"
    return client


@pytest.fixture
def user(hub_engine: Engine) -> str:
    with Session(hub_engine) as db:
        db.add(User(name="alice", password_hash=hash_password(PASSWORD)))
        db.commit()
    return "alice"
