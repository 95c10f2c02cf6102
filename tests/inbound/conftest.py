"""Fixtures for the public-form tests: the approval tests' SMTP server, and the app pointed at
the sandbox's Mailchimp (the sandbox comes from tests/conftest.py) with a newsletter account."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.models import ChannelAccount
from tests.approvals.conftest import (  # noqa: F401  (fixtures shared with the approval tests)
    add_user,
    app_config,
    check_a11y_fixture,
    live_app,
    live_server,
    log_in_fixture,
    page,
    peek,
    smtp,
)

LIST_ID = "kmp0list01"


@pytest.fixture
def newsletter_config(app_config: dict[str, Any], sandbox: Any,  # noqa: F811
                      monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("PUBLISHER_CRED_KMP_MAILCHIMP_API_KEY", "0123456789abcdef-us1")
    return {**app_config, "mailchimp_api_url": sandbox.url("mailchimp")}


@pytest.fixture
def newsletter_account(db: Session) -> ChannelAccount:
    """The organisation's newsletter account (organisation.toml), its key in the environment."""
    row = db.scalars(select(ChannelAccount).where(ChannelAccount.platform == "newsletter")).one()
    assert row.external_id == LIST_ID and row.active
    db.commit()  # end the read: SQLite's BEGIN IMMEDIATE would hold the app's writes back
    return row


@pytest.fixture
def no_newsletter(db: Session) -> None:
    """The organisation has switched its newsletter account off."""
    for row in db.scalars(select(ChannelAccount).where(ChannelAccount.platform == "newsletter")):
        row.active = False
    db.commit()
