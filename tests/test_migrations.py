"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from publisher.db import normalise_url
from publisher.migrate import upgrade
from publisher.models import metadata


# SQLAlchemy cannot reflect expression indexes on SQLite, so compare_metadata skips them there
# (with this warning); the test below checks that the migrations build them all the same.
def EXPRESSION_INDEX(test):  # noqa: N802 - used as a decorator
    test = pytest.mark.filterwarnings(
        "ignore:Skipped unsupported reflection of expression-based index")(test)
    return pytest.mark.filterwarnings(
        "ignore:autogenerate skipping metadata-specified expression-based index")(test)


@EXPRESSION_INDEX
def test_upgrade_head_on_an_empty_database_matches_the_models(database_url):
    # `database_url` was built by `upgrade head` (SQLite file or PostgreSQL database).
    upgrade(database_url)  # running it again is a no-op
    engine = create_engine(normalise_url(database_url))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == []


@EXPRESSION_INDEX
def test_upgrade_head_builds_a_fresh_sqlite_database_from_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    engine.dispose()


@EXPRESSION_INDEX
def test_the_migrations_build_the_claim_index_on_the_effective_due_time(database_url):
    engine = create_engine(normalise_url(database_url))
    with engine.connect() as conn:
        names = {index["name"] for index in inspect(conn).get_indexes("delivery")}
        if engine.dialect.name == "sqlite":  # not reflected there: read the schema itself
            names |= set(conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'delivery'"
            ).scalars())
    engine.dispose()
    assert "ix_delivery_status_effective_due" in names
