"""Fixtures for the schedule: engine and sessions without Flask, a fake adapter, a clock that only
moves when told, and the sandbox.

The sandbox fixtures are re-exported from tests/channels/conftest.py (loaded by path: tests/ is
not a package), so these tests run a real sandbox server exactly as the channel tests do.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from schedules_helpers import FakeAdapter, FixedClock, Notes
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from channels.base import Published
from publisher.db import make_engine, normalise_url
from schedules.dispatcher import Dispatch
from schedules.settings import ScheduleSettings

_spec = importlib.util.spec_from_file_location(
    "tests_channels_conftest", Path(__file__).parent.parent / "channels" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_channels_conftest = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _channels_conftest
_spec.loader.exec_module(_channels_conftest)
_sandbox_server = _channels_conftest._sandbox_server
sandbox = _channels_conftest.sandbox
RunningSandbox = _channels_conftest.RunningSandbox


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


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
def session(engine: Engine) -> Iterator[Session]:
    """A session for arranging data; objects stay readable after commit without a new read
    transaction (which on SQLite would hold the write lock the code under test needs)."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


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


