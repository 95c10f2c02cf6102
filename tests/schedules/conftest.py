"""Fixtures for the schedule: sessions without Flask, a fake adapter, and a clock that only
moves when told. The engine, the Flask-free `session` and the sandbox come from tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from channels.base import Published
from publisher.db import normalise_url
from schedules.dispatcher import Dispatch
from schedules.settings import ScheduleSettings
from tests.schedules.helpers import FakeAdapter, FixedClock, Notes


@pytest.fixture
def peek(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a plain engine, for looking from outside while a writer is open (SQLite's
    BEGIN IMMEDIATE in make_engine would wait for the writer)."""
    plain = create_engine(normalise_url(database_url))
    yield sessionmaker(plain)
    plain.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def fake() -> FakeAdapter:
    return FakeAdapter(publish_script=[Published("ext-1", "https://example.test/ext-1")])


@pytest.fixture
def notes() -> Notes:
    return Notes()


@pytest.fixture
def settings() -> ScheduleSettings:
    return ScheduleSettings(backoff_base=30, backoff_cap=600, max_attempts=3,
                            unconfirmed_delay=10, max_lateness=3600, lease_seconds=300)


@pytest.fixture
def dispatch(sessions: sessionmaker[Session], fake: FakeAdapter, settings: ScheduleSettings,
             notes: Notes, clock: FixedClock) -> Dispatch:
    return Dispatch(sessions, lambda _account: fake, settings, notes, "w-test", clock)


