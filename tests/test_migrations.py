"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from publisher.db import normalise_url
from publisher.migrate import upgrade
from publisher.models import metadata


def test_upgrade_head_on_an_empty_database_matches_the_models(database_url):
    # `database_url` was built by `upgrade head` (SQLite file or PostgreSQL database).
    upgrade(database_url)  # running it again is a no-op
    engine = create_engine(normalise_url(database_url))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_head_builds_a_fresh_sqlite_database_from_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    engine.dispose()
