"""Problem 1: sessions lived only in the signed cookie, so they could not be revoked."""

from __future__ import annotations

import time

from drafts.models import Role, User
from tests.conftest import PASSWORD, make_user


def _copy_of(client, app):
    """A second browser holding a copy of `client`'s session cookie."""
    cookie = client.get_cookie("publisher_session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("publisher_session", cookie.value)
    return thief


def _logged_in(client) -> bool:
    return client.get("/queue").status_code == 200


def test_a_cookie_copied_before_logout_no_longer_works(client, app, admin):
    client.login("admin")
    thief = _copy_of(client, app)
    assert _logged_in(thief)
    client.post_form("/logout")
    assert not _logged_in(thief)


def test_an_admin_password_reset_ends_the_users_sessions(client, app, db, admin):
    make_user(db, "anna", Role.EDITOR, ("music",))
    other = app.test_client()
    other.__class__ = type(client)
    other.login("anna")
    assert _logged_in(other)
    user = db.query(User).filter_by(username="anna").one()
    initiatives = [str(i.id) for i in user.initiatives]
    db.commit()  # end the read: SQLite's write lock
    client.login("admin")
    response = client.post_form(f"/admin/users/{user.id}", {
        "username": "anna", "name": "Anna", "email": "anna@example.org", "role": "editor",
        "locale": "da", "initiatives": initiatives,
        "password": "a brand new password 42"})
    assert response.status_code == 302
    assert not _logged_in(other)


def test_a_role_change_ends_the_users_sessions(client, app, db, admin):
    user = make_user(db, "anna", Role.ADMIN)
    other = app.test_client()
    other.__class__ = type(client)
    other.login("anna")
    user.role = Role.VIEWER.value
    db.commit()
    assert not _logged_in(other)


def test_deactivation_ends_the_users_sessions(client, app, db, admin):
    user = make_user(db, "anna", Role.EDITOR, ("music",))
    other = app.test_client()
    other.__class__ = type(client)
    other.login("anna")
    client.login("admin")
    assert client.post_form(f"/admin/users/{user.id}/deactivate").status_code == 302
    assert not _logged_in(other)


def test_an_admin_can_log_a_user_out_everywhere(client, app, db, admin):
    user = make_user(db, "anna", Role.EDITOR, ("music",))
    other = app.test_client()
    other.__class__ = type(client)
    other.login("anna")
    client.login("admin")
    response = client.post_form(f"/admin/users/{user.id}/sessions/end")
    assert response.status_code == 302
    assert not _logged_in(other)
    assert _logged_in(client)
    assert other.login("anna", PASSWORD).status_code == 302


def test_an_admin_changing_their_own_password_stays_logged_in(client, db, admin):
    client.login("admin")
    response = client.post_form(f"/admin/users/{admin.id}", {
        "username": "admin", "name": "Admin", "email": "admin@example.org", "role": "admin",
        "locale": "da", "password": "a brand new password 42"})
    assert response.status_code == 302
    assert _logged_in(client)


def test_using_a_session_does_not_make_it_last_past_the_absolute_lifetime(client, app, admin):
    client.login("admin")
    limit = app.config["SESSION_ABSOLUTE_SECONDS"]
    with client.session_transaction() as session:
        session["born"] = int(time.time()) - limit - 1
    assert not _logged_in(client)


def test_a_session_left_idle_ends_even_if_the_cookie_is_kept(client, app, admin):
    client.login("admin")
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - app.config["SESSION_IDLE_SECONDS"] - 1
    assert not _logged_in(client)


def test_a_session_from_before_the_stamp_existed_is_ended(client, admin):
    client.login("admin")
    with client.session_transaction() as session:
        del session["stamp"]
    assert not _logged_in(client)
