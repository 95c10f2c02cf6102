"""Configured accounts become working adapters, and "test connection" records their health."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels.sandbox.mailchimp_site import seed_audience
from drafts.models import ChannelAccount
from publisher.config import load_settings
from publisher.flows.accounts import build_adapter, check_connection

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
CREDENTIALS = {
    "facebook": {"ACCESS_TOKEN": "sandbox"},
    "instagram": {"ACCESS_TOKEN": "sandbox"},
    "website": {"APPLICATION_PASSWORD": "abcd efgh ijkl"},
    "newsletter": {"API_KEY": "0123456789abcdef-us1"},
    "x": {"CONSUMER_KEY": "k", "CONSUMER_SECRET": "s", "ACCESS_TOKEN": "1234-t",
          "ACCESS_TOKEN_SECRET": "ts"},
}
IDS = {"facebook": "100000000000001", "instagram": "17841400000000001",
       "website": "publisher", "newsletter": "kmp0list01", "x": "1234"}


@pytest.fixture
def settings(sandbox, monkeypatch):
    env = {"PUBLISHER_SECRET_KEY": "k" * 40,
           "PUBLISHER_FACEBOOK_GRAPH_URL": sandbox.url("facebook"),
           "PUBLISHER_INSTAGRAM_GRAPH_URL": sandbox.url("instagram"),
           "PUBLISHER_WORDPRESS_URL": sandbox.url("wordpress"),
           "PUBLISHER_MAILCHIMP_API_URL": sandbox.url("mailchimp"),
           "PUBLISHER_X_API_URL": sandbox.url("x"),
           "PUBLISHER_CHANNEL_TIMEOUT": "5"}
    for platform, creds in CREDENTIALS.items():
        for key, value in creds.items():
            monkeypatch.setenv(f"PUBLISHER_CRED_T_{platform.upper()}_{key}", value)
    return load_settings(env=env)


OPTIONS = {"newsletter": {"from_name": "Kulturmetropolen", "reply_to": "nyt@kulturby.dk"}}


def _row(platform: str) -> ChannelAccount:
    return ChannelAccount(platform=platform, name=platform, external_id=IDS[platform],
                          credentials_env=f"T_{platform.upper()}",
                          options=dict(OPTIONS.get(platform, {})))


@pytest.mark.parametrize("platform", sorted(CREDENTIALS))
def test_a_configured_account_connects_to_the_sandbox(settings, sandbox, platform):
    seed_audience(sandbox.store, IDS["newsletter"], "KOMMUNE", ["roskilde"])
    row = _row(platform)
    assert check_connection(settings, row, NOW) is True, row.health_detail
    assert row.health == "ok" and row.checked_at == NOW


def test_an_expired_token_marks_the_account_failing_with_the_reason(settings, sandbox):
    sandbox.fault(platform="facebook", op="*", kind="expired_token")
    row = _row("facebook")
    assert check_connection(settings, row, NOW) is False
    assert row.health == "failing"
    assert row.health_detail.startswith("token_expired")


def test_a_newsletter_account_without_its_settings_fails_the_test_naming_each_missing_one(
    settings,
):
    row = _row("newsletter")
    row.options = {}

    assert check_connection(settings, row, NOW) is False

    assert row.health == "failing"
    assert row.health_detail.startswith("sender_missing:")
    for missing in ("from_name", "reply_to", "no subscribed contacts"):
        assert missing in row.health_detail


def test_an_account_may_name_its_own_site(settings, sandbox):
    row = _row("website")
    row.options = {"base_url": sandbox.url("wordpress")}
    adapter = build_adapter(settings, row)
    assert adapter.settings.base_url == sandbox.url("wordpress")
    assert "base_url" not in adapter.settings.options


@pytest.fixture
def sandboxed_config(app_config, sandbox, monkeypatch):
    """The app pointed at the sandbox, with a Facebook token for the demo account."""
    monkeypatch.setenv("PUBLISHER_CRED_KMP_FACEBOOK_ACCESS_TOKEN", "sandbox")
    return {**app_config, "facebook_graph_url": sandbox.url("facebook")}


def test_the_admin_test_connection_button_records_the_accounts_health(sandboxed_config, db):
    from publisher import create_app
    from tests.conftest import Client, make_user

    app = create_app(sandboxed_config)
    app.test_client_class = Client
    session = app.extensions["db_sessionmaker"]()
    from drafts.models import Role

    make_user(session, "admin", Role.ADMIN)
    account_id = session.query(ChannelAccount).filter_by(platform="facebook").one().id
    session.rollback()  # end the read: on SQLite an open transaction holds the write lock
    client = app.test_client()
    client.login("admin")
    response = client.post_form(f"/admin/accounts/{account_id}/test", {})
    assert response.status_code == 303
    session.expire_all()
    assert session.get(ChannelAccount, account_id).health == "ok"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Forbindelsen til" in page and "virker" in page
    session.close()
    app.extensions["db_engine"].dispose()


def test_a_failing_test_connection_says_why_in_plain_words(sandboxed_config, sandbox):
    from publisher import create_app
    from tests.conftest import Client, make_user

    sandbox.fault(platform="facebook", op="*", kind="expired_token")
    app = create_app(sandboxed_config)
    app.test_client_class = Client
    session = app.extensions["db_sessionmaker"]()
    from drafts.models import Role

    make_user(session, "admin", Role.ADMIN)
    account_id = session.query(ChannelAccount).filter_by(platform="facebook").one().id
    session.rollback()  # end the read: on SQLite an open transaction holds the write lock
    client = app.test_client()
    client.login("admin")
    response = client.post_form(f"/admin/accounts/{account_id}/test", {}, follow_redirects=True)
    assert "Adgangen til kontoen er udløbet" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(ChannelAccount, account_id).health == "failing"
    session.close()
    app.extensions["db_engine"].dispose()
