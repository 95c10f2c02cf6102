"""Shared fixtures: a migrated database per test (SQLite, or PostgreSQL with TEST_DATABASE_URL),
the app, a client with a CSRF-aware form helper, and users of each role."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session

from drafts.models import Initiative, Role, User
from publisher import create_app
from publisher.auth import hash_password
from publisher.config import load_organisation
from publisher.db import make_engine, normalise_url
from publisher.migrate import upgrade
from publisher.models import metadata
from publisher.seed import load_organisation as seed_organisation

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "correct horse battery staple"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")

# The sandbox server (channels, schedules and approval tests use it), defined once.
pytest_plugins = ["tests.sandbox_fixtures"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave PostgreSQL-only tests out of the SQLite run (they run in the PostgreSQL run),
    saying so in the summary as deselected rather than presenting them as skipped."""
    if PG_URL:
        return
    left_out = [i for i in items if i.get_closest_marker("postgresql_only")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [i for i in items if not i.get_closest_marker("postgresql_only")]


def _worker() -> str:
    """This test process's name, unique per checkout so that two checkouts (git worktrees)
    running their suites at once on one PostgreSQL server never share a database."""
    checkout = hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]
    return f"{checkout}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def _pg_database(base_url: str, name: str) -> str:
    """Create (or recreate) database `name` on the server of `base_url`; return its URL."""
    admin = create_engine(normalise_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    head, _, _ = base_url.rpartition("/")
    return f"{head}/{name}"


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database with the organisation loaded: a file (SQLite) or a database (PG)."""
    org = load_organisation(ROOT / "config" / "organisation.toml")
    if PG_URL:
        url = _pg_database(PG_URL, f"publisher_test_{_worker()}")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.db'}"
    upgrade(url)
    engine = create_engine(normalise_url(url))
    with Session(engine) as db:
        seed_organisation(db, org)
        db.commit()
    engine.dispose()
    return url


def _reset_pg(url: str) -> None:
    """Empty every table and load the organisation again (tests may edit it, e.g. the admin)."""
    engine = create_engine(normalise_url(url))
    tables = [t.name for t in metadata.sorted_tables]
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                          + " RESTART IDENTITY CASCADE"))
    with Session(engine) as db:
        seed_organisation(db, load_organisation(ROOT / "config" / "organisation.toml"))
        db.commit()
    engine.dispose()


@pytest.fixture
def database_url(_template: str, tmp_path: Path) -> str:
    """A fresh database for one test."""
    if PG_URL:
        _reset_pg(_template)
        return _template
    path = tmp_path / "test.db"
    shutil.copyfile(_template.removeprefix("sqlite:///"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The test database's engine, configured as the service configures it, without Flask."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A Flask-free session for domain tests; objects stay readable after commit without a new
    read transaction (which on SQLite would hold the write lock the code under test needs)."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "database_url": database_url,
        "secret_key": SECRET,
        "session_cookie_secure": False,
        "upload_dir": str(tmp_path / "uploads"),
        "log_format": "text",
        "log_level": "WARNING",
        "TESTING": True,
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    application = create_app(app_config)
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session of its own (not the request's) for arranging and checking data."""
    session: Session = app.extensions["db_sessionmaker"]()
    yield session
    session.close()


class Client(FlaskClient):
    """A test client that can fill in the CSRF field like a browser would."""

    def csrf_token(self) -> str:
        page = self.get("/login").get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, "no CSRF token on the login page"
        return match.group(1)

    def post_form(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        payload = dict(data or {})
        payload["csrf_token"] = self.csrf_token()
        return self.post(url, data=payload, **kw)

    def login(self, username: str, password: str = PASSWORD) -> Any:
        return self.post_form("/login", {"username": username, "password": password})


@pytest.fixture
def client(app: Flask) -> Client:
    app.test_client_class = Client
    return app.test_client()  # type: ignore[return-value]


def make_user(db: Session, username: str, role: Role, initiatives: tuple[str, ...] = (),
              password: str = PASSWORD, locale: str = "da") -> User:
    found = list(db.scalars(select(Initiative).where(Initiative.slug.in_(initiatives))))
    user = User(username=username, name=username.title(), email=f"{username}@example.org",
                role=role.value, password_hash=hash_password(password), initiatives=found,
                locale=locale, created_at=datetime.now(UTC))
    db.add(user)
    db.commit()
    return user


@pytest.fixture
def admin(db: Session) -> User:
    return make_user(db, "admin", Role.ADMIN)


@pytest.fixture
def editor(db: Session) -> User:
    """An editor for the music initiative only."""
    return make_user(db, "musik", Role.EDITOR, ("music",))


@pytest.fixture
def viewer(db: Session) -> User:
    return make_user(db, "viewer", Role.VIEWER)


@pytest.fixture
def admin_client(client: Client, admin: User) -> Client:
    assert client.login("admin").status_code == 302
    return client


@pytest.fixture
def editor_client(client: Client, editor: User) -> Client:
    assert client.login("musik").status_code == 302
    return client


@pytest.fixture
def chairs(db: Session) -> list[Any]:
    """A culture-committee chair with an email address for every municipality."""
    from drafts.models import Approver, Municipality

    found = []
    for muni in db.scalars(select(Municipality)):
        approver = Approver(name=f"Formand {muni.name}", email=f"formand.{muni.slug}@example.org",
                            municipality=muni, role="chair")
        db.add(approver)
        found.append(approver)
    db.commit()
    return found


@pytest.fixture
def routine_policy(db: Session) -> None:
    """Every initiative's default policy: no outside approver (an administrator approves)."""
    from drafts.approvals import ApprovalDefault

    for initiative in db.scalars(select(Initiative)):
        db.add(ApprovalDefault(initiative_id=initiative.id, mode="none", rule="any",
                               approver_ids=[], deadline_hours=0, reminder_hours=0))
    db.commit()


CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright's own download cannot be reached
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium per test process, shared by every browser test: two Playwright
    sessions cannot be open in one thread at once."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
