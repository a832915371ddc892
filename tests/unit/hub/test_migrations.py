"""The hub's schema comes from Alembic alone, goes down and up again, and matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from hub import migrate
from hub.db import make_engine
from hub.models import Base, Channel

TABLES = {"users", "web_sessions", "api_tokens", "blobs", "applications", "releases", "channels", "promotions",
          "differentials",
          "sites", "check_ins", "site_events"}


def test_upgrade_downgrade_upgrade(hub_database_url):
    engine = make_engine(hub_database_url)
    try:
        migrate.upgrade(engine)
        assert TABLES <= set(inspect(engine).get_table_names())
        assert migrate.current(engine) == migrate.head()
        migrate.downgrade(engine, "base")
        assert not TABLES & set(inspect(engine).get_table_names())
        assert migrate.current(engine) is None
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert sorted(conn.scalars(select(Channel.name))) == ["beta", "stable"]
    finally:
        engine.dispose()


def test_the_migrations_make_what_the_models_describe(hub_engine):
    with hub_engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
