"""The `publisher` command: database, demo data, users and tokens."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from drafts.models import ApiToken, Draft, User
from publisher.auth import user_for_token
from publisher.cli import main


@pytest.fixture
def run(app_config, monkeypatch):
    """Invoke the CLI with the test database and settings in the environment."""
    for key, value in app_config.items():
        if key.islower():
            monkeypatch.setenv("PUBLISHER_" + key.upper(), str(value).lower()
                               if isinstance(value, bool) else str(value))

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


def test_db_upgrade_is_safe_to_repeat(run):
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "head" in result.output


def test_demo_loads_users_and_drafts_once(run, db):
    assert run("demo").exit_code == 0
    assert run("demo").exit_code == 0
    assert db.scalar(select(func.count()).select_from(User)) == 4
    assert db.scalar(select(func.count()).select_from(Draft)) == 3


def test_user_add_creates_an_editor_bound_to_an_initiative(run, db):
    result = run("user", "add", "pm", "--name", "Projektchef", "--role", "editor",
                 "--initiative", "youth", "--password-stdin", input="a long enough password\n")
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.username == "pm"))
    assert [i.slug for i in user.initiatives] == ["youth"]
    assert user.password_hash.startswith("scrypt:")


def test_user_add_refuses_a_weak_password_and_creates_nothing(run, db):
    result = run("user", "add", "pm", "--name", "P", "--password-stdin", input="short\n")
    assert result.exit_code != 0
    assert "12 characters" in result.output
    assert db.scalar(select(User).where(User.username == "pm")) is None


def test_user_add_refuses_an_unknown_initiative(run, db):
    result = run("user", "add", "pm", "--name", "P", "--initiative", "painting",
                 "--password-stdin", input="a long enough password\n")
    assert result.exit_code != 0
    assert "unknown initiative: painting" in result.output


def test_token_create_prints_a_working_token_once_and_stores_its_hash(run, db, admin):
    result = run("token", "create", "--user", "admin", "--name", "ci")
    assert result.exit_code == 0
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("pub_")
    stored = db.scalar(select(ApiToken))
    assert secret not in (stored.token_hash, stored.prefix)
    from datetime import UTC, datetime

    assert user_for_token(db, secret, datetime.now(UTC)).username == "admin"
    assert run("token", "revoke", str(stored.id)).exit_code == 0
    db.expire_all()
    assert user_for_token(db, secret, datetime.now(UTC)) is None


def test_it_names_a_bad_setting_instead_of_a_traceback(run, monkeypatch):
    monkeypatch.setenv("PUBLISHER_PAGE_SIZE", "lots")
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "PUBLISHER_PAGE_SIZE" in result.output
