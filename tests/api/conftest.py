"""Fixtures for the API tests: clients acting as each role, and the fuzzing tally."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from drafts.models import User
from tests.api.helpers import ApiClient, issue_token


@pytest.fixture
def api_as(app: Flask, db: Session) -> Callable[[User], ApiClient]:
    """A factory: an API client acting as the given user."""
    return lambda user: ApiClient(app, issue_token(db, user))


@pytest.fixture
def admin_api(api_as: Callable[[User], ApiClient], admin: User) -> ApiClient:
    return api_as(admin)


@pytest.fixture
def editor_api(api_as: Callable[[User], ApiClient], editor: User) -> ApiClient:
    return api_as(editor)


@pytest.fixture
def viewer_api(api_as: Callable[[User], ApiClient], viewer: User) -> ApiClient:
    return api_as(viewer)


FUZZ_COUNTS = pytest.StashKey[Counter[str]]()


@pytest.fixture
def fuzz_counts(pytestconfig: pytest.Config) -> Counter[str]:
    """Requests the fuzz test sent, per operation and status code (summarised at the end)."""
    return pytestconfig.stash.setdefault(FUZZ_COUNTS, Counter())


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    counts = config.stash.get(FUZZ_COUNTS, None)
    if not counts:
        return
    per_operation: Counter[str] = Counter()
    for key, n in counts.items():
        per_operation[key.rsplit(" ", 1)[0]] += n
    terminalreporter.section("API fuzzing")
    for operation, n in sorted(per_operation.items()):
        statuses = ", ".join(f"{k.rsplit(' ', 1)[1]}×{v}" for k, v in sorted(counts.items())
                             if k.rsplit(" ", 1)[0] == operation)
        terminalreporter.write_line(f"{operation}: {n} requests ({statuses})")
    terminalreporter.write_line(
        f"{len(per_operation)} operations, {sum(per_operation.values())} requests")
