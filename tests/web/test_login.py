"""Logging in and out: passwords, inactive users, rate limiting, redirects, cookies, language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from drafts.models import LoginAttempt, Role, User
from publisher import create_app
from tests.conftest import PASSWORD, Client, make_user

WRONG = "not the right password"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """A low failure limit keeps the rate-limit tests quick (each failure hashes a password)."""
    return {**app_config, "login_max_failures": 3}


def attempt(client: Any, username: str, password: str, next_url: str = "") -> Any:
    url = f"/login?next={next_url}" if next_url else "/login"
    return client.post_form(url, {"username": username, "password": password})


def test_it_logs_in_and_sends_the_user_to_the_queue(client, admin):
    response = client.login("admin")
    assert response.status_code == 302
    assert response.headers["Location"] == "/queue"
    assert client.get("/queue").status_code == 200


def test_it_logs_out_and_protects_pages_again(client, admin):
    client.login("admin")
    response = client.post_form("/logout")
    assert response.status_code == 302
    again = client.get("/queue")
    assert again.status_code == 302
    assert again.headers["Location"].startswith("/login")


def test_it_refuses_a_wrong_password(client, admin):
    response = attempt(client, "admin", WRONG)
    assert response.status_code == 401
    assert "Forkert brugernavn eller adgangskode" in response.get_data(as_text=True)
    assert client.get("/queue").status_code == 302


def test_it_refuses_an_unknown_user_like_a_wrong_password(client):
    response = attempt(client, "nobody", PASSWORD)
    assert response.status_code == 401
    assert "Forkert brugernavn eller adgangskode" in response.get_data(as_text=True)


def test_it_refuses_an_inactive_user_with_the_right_password(client, db):
    user = make_user(db, "former", Role.EDITOR, ("music",))
    user.active = False
    db.commit()
    assert attempt(client, "former", PASSWORD).status_code == 401
    assert client.get("/queue").status_code == 302


def test_it_logs_out_a_user_who_is_deactivated_meanwhile(client, db, editor):
    client.login("musik")
    editor.active = False
    db.commit()
    assert client.get("/queue").status_code == 302


def test_it_blocks_a_username_after_too_many_failures_even_with_the_right_password(
    client, app, admin
):
    limit = app.extensions["publisher_settings"].login_max_failures
    for _ in range(limit):
        assert attempt(client, "admin", WRONG).status_code == 401
    response = attempt(client, "admin", PASSWORD)
    assert response.status_code == 429
    assert "For mange mislykkede forsøg" in response.get_data(as_text=True)
    assert client.get("/queue").status_code == 302


def test_the_block_counts_usernames_case_insensitively(client, app, admin):
    limit = app.extensions["publisher_settings"].login_max_failures
    for i in range(limit):
        attempt(client, "ADMIN" if i % 2 else "admin", WRONG)
    assert attempt(client, "admin", PASSWORD).status_code == 429


def test_the_block_does_not_touch_other_usernames(client, app, admin, editor):
    limit = app.extensions["publisher_settings"].login_max_failures
    for _ in range(limit):
        attempt(client, "admin", WRONG)
    assert attempt(client, "musik", PASSWORD).status_code == 302


def test_blocked_attempts_are_not_checked_against_the_password(client, app, db, admin):
    limit = app.extensions["publisher_settings"].login_max_failures
    for _ in range(limit):
        attempt(client, "admin", WRONG)
    attempt(client, "admin", PASSWORD)
    attempt(client, "admin", WRONG)
    failures = db.scalar(select(func.count()).select_from(LoginAttempt))
    assert failures == limit


def test_failures_older_than_the_window_do_not_block(client, app, db, admin):
    settings = app.extensions["publisher_settings"]
    long_ago = datetime.now(UTC) - timedelta(seconds=settings.login_window_seconds + 60)
    db.add_all([LoginAttempt(username_key="admin", at=long_ago)
                for _ in range(settings.login_max_failures)])
    db.commit()
    assert client.login("admin").status_code == 302


def test_a_successful_login_clears_earlier_failures(client, app, db, admin):
    limit = app.extensions["publisher_settings"].login_max_failures
    for _ in range(limit - 1):
        attempt(client, "admin", WRONG)
    assert client.login("admin").status_code == 302
    assert db.scalar(select(func.count()).select_from(LoginAttempt)) == 0


def test_it_records_the_login_time(client, db, admin):
    client.login("admin")
    db.expire_all()
    assert db.get(User, admin.id).last_login_at is not None


def test_it_follows_a_local_next_path_after_login(client, admin):
    response = attempt(client, "admin", PASSWORD, next_url="/admin/users")
    assert response.headers["Location"] == "/admin/users"


@pytest.mark.parametrize("target", [
    "https://evil.example/",
    "//evil.example/",
    "/%5Cevil.example/",
    "%2F%2Fevil.example",
    "/%09/evil.example",
    "javascript:alert(1)",
    "evil.example",
])
def test_it_never_redirects_off_site_after_login(client, admin, target):
    response = attempt(client, "admin", PASSWORD, next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/queue"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_the_language_switch_never_redirects_off_site(client, target):
    response = client.post_form("/language", {"locale": "en", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/queue"


def set_cookie_header(response: Any) -> str:
    cookies = [h for h in response.headers.getlist("Set-Cookie")
               if h.startswith("publisher_session=")]
    assert cookies, "no session cookie was set"
    return cookies[-1]


def test_the_session_cookie_is_http_only_and_same_site_lax(client, admin):
    cookie = set_cookie_header(client.login("admin"))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_the_session_cookie_is_secure_when_configured(app_config, admin):
    secure_app: Flask = create_app({**app_config, "session_cookie_secure": True})
    secure_app.test_client_class = Client
    try:
        client = secure_app.test_client()
        cookie = set_cookie_header(client.login("admin"))  # type: ignore[attr-defined]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        secure_app.extensions["db_engine"].dispose()


def test_the_login_page_is_danish_by_default(client):
    body = client.get("/login").get_data(as_text=True)
    assert '<html lang="da">' in body
    assert "Log ind" in body


def test_the_language_switch_shows_english(client):
    response = client.post_form("/language", {"locale": "en", "next": "/login"})
    assert response.headers["Location"] == "/login"
    body = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in body
    assert "Log in" in body and "Log ind" not in body


def test_the_language_switch_goes_back_to_danish(client):
    client.post_form("/language", {"locale": "en"})
    client.post_form("/language", {"locale": "da"})
    body = client.get("/login").get_data(as_text=True)
    assert "Log ind" in body and "Username" not in body


def test_the_language_switch_ignores_an_unknown_language(client):
    client.post_form("/language", {"locale": "fr"})
    assert '<html lang="da">' in client.get("/login").get_data(as_text=True)


def test_a_logged_in_users_language_choice_is_remembered(client, db, viewer):
    client.login("viewer")
    client.post_form("/language", {"locale": "en"})
    db.expire_all()
    assert db.get(User, viewer.id).locale == "en"
