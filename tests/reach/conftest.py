"""Fixtures for the reach tests: the real sandbox server, items published to it on every channel
through the real adapters, and a sandbox clock held still so its figures can be checked."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from channels.sandbox.core import freeze_clock

_spec = importlib.util.spec_from_file_location(
    "tests_channels_conftest_reach", Path(__file__).parent.parent / "channels" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_channels_conftest = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _channels_conftest
_spec.loader.exec_module(_channels_conftest)
_sandbox_server = _channels_conftest._sandbox_server


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
