"""Fixtures for the reach tests: the real sandbox server, items published to it on every channel
through the real adapters, and a sandbox clock held still so its figures can be checked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from channels.sandbox.core import freeze_clock

# `_sandbox_server` comes from tests/sandbox_fixtures.py (a plugin of tests/conftest.py).


@pytest.fixture
def sandbox(_sandbox_server: Any) -> Iterator[Any]:
    """The shared sandbox with clean state, no faults and a running clock."""
    _sandbox_server.store.reset()
    _sandbox_server.faults.clear()
    freeze_clock(None)
    yield _sandbox_server
    _sandbox_server.faults.clear()
    freeze_clock(None)


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
