"""Problem 8: five wrong passwords locked a username out for everyone for 15 minutes, one address
could spray any number of usernames, and failures for made-up names were never purged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from drafts.models import LoginAttempt
from publisher.auth import ADDRESS_FREE, USER_CAP
from tests.conftest import PASSWORD

WRONG = "not the right password"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "login_max_failures": 3}


def attempt(client: Any, username: str, password: str, address: str = "192.0.2.1") -> Any:
    return client.post_form("/login", {"username": username, "password": password},
                            environ_base={"REMOTE_ADDR": address})


def _age_failures(db: Any, seconds: float) -> None:
    """Move every recorded failure `seconds` into the past (the clock moving on)."""
    for row in db.scalars(select(LoginAttempt)):
        row.at = row.at - timedelta(seconds=seconds)
    db.commit()


def test_a_stranger_cannot_lock_the_owner_out_past_the_back_off(client, db, admin):
    for _ in range(10):
        attempt(client, "admin", WRONG, address="203.0.113.9")
    assert attempt(client, "admin", PASSWORD, address="198.51.100.7").status_code == 429
    _age_failures(db, USER_CAP + 1)
    assert attempt(client, "admin", PASSWORD, address="198.51.100.7").status_code == 302


def test_the_back_off_says_how_long_to_wait(client, admin):
    for _ in range(3):
        attempt(client, "admin", WRONG)
    response = attempt(client, "admin", PASSWORD)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= USER_CAP


def test_one_address_spraying_many_usernames_is_slowed(client, admin):
    for i in range(ADDRESS_FREE):
        assert attempt(client, f"made-up-{i}", WRONG).status_code == 401
    assert attempt(client, "admin", PASSWORD).status_code == 429
    assert attempt(client, "admin", PASSWORD, address="198.51.100.7").status_code == 302


def test_failures_older_than_the_window_are_purged(client, app, db, admin):
    window = app.extensions["publisher_settings"].login_window_seconds
    attempt(client, "made-up-name", WRONG)
    _age_failures(db, window + 1)
    attempt(client, "another-made-up-name", WRONG)
    assert db.scalar(select(func.count()).select_from(LoginAttempt)) == 1


def test_the_address_is_stored_only_as_a_keyed_hash(client, db, admin):
    attempt(client, "admin", WRONG, address="192.0.2.77")
    row = db.scalars(select(LoginAttempt)).one()
    assert "192.0.2.77" not in row.address_key
    assert len(row.address_key) == 32


def test_the_wait_grows_with_each_failure(client, app, db, admin):
    from publisher.auth import login_wait

    waits = []
    for _ in range(5):
        attempt(client, "admin", WRONG)
        _age_failures(db, 120)  # past every wait, so each failure is recorded
        with app.test_request_context():
            waits.append(login_wait(db, "admin", "192.0.2.1", datetime.now(UTC)
                                    - timedelta(seconds=120)))
        db.commit()  # end the read: SQLite's write lock
    assert waits[:3] == [0, 0, waits[2]]
    assert waits[2] < waits[3] < waits[4] <= USER_CAP
