"""Administration: users, municipalities, initiatives and API tokens.

Every refused form re-renders with a message and leaves the database as it was; every accepted
change is audited.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from drafts.models import ApiToken, AuditEvent, Initiative, Municipality, Role, User
from publisher.auth import user_for_token, verify_password
from tests.conftest import PASSWORD, make_user
from tests.web.admin_support import actions, audit_details, count, find, ids, page

NEW_PASSWORD = "a brand new long passphrase"


def user_form(**changes: Any) -> dict[str, Any]:
    form = {"username": "kirsten", "name": "Kirsten Holm", "email": "kirsten@example.org",
            "role": "viewer", "locale": "da", "password": NEW_PASSWORD}
    form.update(changes)
    return form


# -- users ----------------------------------------------------------------------------------


def test_it_creates_a_user_with_a_hashed_password(admin_client, db):
    music, youth = ids(db, Initiative, "music", "youth")
    form = user_form(role="editor", initiatives=[str(music), str(youth)])
    response = admin_client.post_form("/admin/users/new", form)
    assert response.status_code == 302
    user = find(db, User, username="kirsten")
    assert (user.name, user.role, user.active) == ("Kirsten Holm", "editor", True)
    assert user.password_hash != NEW_PASSWORD
    assert verify_password(user, NEW_PASSWORD)


def test_it_gives_a_new_editor_the_chosen_initiatives(admin_client, db):
    (youth,) = ids(db, Initiative, "youth")
    admin_client.post_form("/admin/users/new", user_form(role="editor", initiatives=[str(youth)]))
    user = db.scalar(select(User).where(User.username == "kirsten"))
    assert [i.slug for i in user.initiatives] == ["youth"]


def test_it_audits_a_new_user_without_the_password(admin_client, db, admin):
    admin_client.post_form("/admin/users/new", user_form())
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.created"))
    assert (event.actor_type, event.actor_id) == ("user", admin.id)
    assert event.details["username"] == "kirsten"
    assert NEW_PASSWORD not in str(event.details)


def test_it_refuses_a_duplicate_username_and_changes_nothing(admin_client, db, viewer):
    before = count(db, User)
    response = admin_client.post_form("/admin/users/new", user_form(username="Viewer"))
    assert response.status_code == 422
    assert "viewer" in page(response) and 'aria-invalid="true"' in page(response)
    assert "user.created" not in actions(db)
    assert count(db, User) == before


@pytest.mark.parametrize("password", ["short", "aaaaaaaaaaaaaaaa", ""])
def test_it_refuses_a_weak_password_and_changes_nothing(admin_client, db, password):
    before = count(db, User)
    response = admin_client.post_form("/admin/users/new", user_form(password=password))
    assert response.status_code == 422
    assert 'id="f-password-error"' in page(response)
    assert count(db, User) == before


@pytest.mark.parametrize("username", ["a", "has space", "-dash", "ø" * 3, "x" * 65])
def test_it_refuses_a_malformed_username(admin_client, db, username):
    before = count(db, User)
    response = admin_client.post_form("/admin/users/new", user_form(username=username))
    assert response.status_code == 422
    assert count(db, User) == before


def test_it_refuses_an_editor_without_initiatives(admin_client, db):
    response = admin_client.post_form("/admin/users/new", user_form(role="editor"))
    assert response.status_code == 422
    assert 'id="f-initiatives-error"' in page(response)
    assert count(db, User, User.username == "kirsten") == 0


@pytest.mark.parametrize("initiative", ["999999", "music"])
def test_it_refuses_an_unknown_initiative(admin_client, db, initiative):
    form = user_form(role="editor", initiatives=[initiative])
    response = admin_client.post_form("/admin/users/new", form)
    assert response.status_code == 422
    assert count(db, User, User.username == "kirsten") == 0


def test_it_refuses_an_unknown_role(admin_client, db):
    response = admin_client.post_form("/admin/users/new", user_form(role="superuser"))
    assert response.status_code == 422
    assert count(db, User, User.username == "kirsten") == 0


def test_it_keeps_the_password_when_an_edit_leaves_it_empty(admin_client, db, viewer):
    form = user_form(username="viewer", name="Vera Viewer", password="")
    response = admin_client.post_form(f"/admin/users/{viewer.id}", form)
    assert response.status_code == 302
    user = find(db, User, id=viewer.id)
    assert user.name == "Vera Viewer"
    assert verify_password(user, PASSWORD)
    assert audit_details(db, "user.updated")["changed"] == ["name", "email"]


def test_it_changes_the_password_when_an_edit_gives_one(admin_client, db, viewer):
    form = user_form(username="viewer", password=NEW_PASSWORD)
    admin_client.post_form(f"/admin/users/{viewer.id}", form)
    user = find(db, User, id=viewer.id)
    assert verify_password(user, NEW_PASSWORD)
    assert "password" in audit_details(db, "user.updated")["changed"]
    assert NEW_PASSWORD not in str(audit_details(db, "user.updated"))


def test_it_refuses_renaming_a_user_to_a_taken_username(admin_client, db, viewer, editor):
    form = user_form(username="musik", password="")
    response = admin_client.post_form(f"/admin/users/{viewer.id}", form)
    assert response.status_code == 422
    assert find(db, User, id=viewer.id).username == "viewer"


def test_it_deactivates_a_user_who_then_cannot_log_in(admin_client, db, app, viewer):
    response = admin_client.post_form(f"/admin/users/{viewer.id}/deactivate")
    assert response.status_code == 302
    assert find(db, User, id=viewer.id).active is False
    assert "user.deactivated" in actions(db)
    assert app.test_client().login("viewer").status_code == 401


def test_it_reactivates_a_deactivated_user(admin_client, db, viewer):
    admin_client.post_form(f"/admin/users/{viewer.id}/deactivate")
    admin_client.post_form(f"/admin/users/{viewer.id}/reactivate")
    assert find(db, User, id=viewer.id).active is True
    assert actions(db)[-2:] == ["user.deactivated", "user.reactivated"]


def test_it_refuses_to_let_an_admin_deactivate_themself(admin_client, db, admin):
    response = admin_client.post_form(f"/admin/users/{admin.id}/deactivate")
    assert response.status_code == 422
    assert find(db, User, id=admin.id).active is True
    assert "user.deactivated" not in actions(db)


def test_it_refuses_to_let_an_admin_drop_their_own_admin_role(admin_client, db, admin):
    form = user_form(username="admin", role="viewer", password="")
    response = admin_client.post_form(f"/admin/users/{admin.id}", form)
    assert response.status_code == 422
    assert find(db, User, id=admin.id).role == "admin"


def test_it_lets_an_admin_deactivate_another_admin(admin_client, db):
    other = make_user(db, "second-admin", Role.ADMIN)
    admin_client.post_form(f"/admin/users/{other.id}/deactivate")
    assert find(db, User, id=other.id).active is False


def test_it_answers_404_for_an_unknown_user(admin_client):
    assert admin_client.get("/admin/users/999999").status_code == 404


# -- API tokens -----------------------------------------------------------------------------


def create_token(client: Any, user: User, name: str = "Website calendar") -> str:
    response = client.post_form("/admin/tokens", {"user": str(user.id), "name": name})
    assert response.status_code == 200
    body = page(response)
    start = body.index('value="pub_') + len('value="')
    return body[start:body.index('"', start)]


def test_it_shows_a_new_token_once_and_stores_only_its_hash(admin_client, db, editor):
    secret = create_token(admin_client, editor)
    token = find(db, ApiToken, user_id=editor.id)
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (token.token_hash, token.prefix, token.name)
    assert secret.startswith(token.prefix)
    assert secret not in page(admin_client.get("/admin/tokens"))


def test_it_asks_browsers_not_to_keep_the_token_page(admin_client, editor):
    response = admin_client.post_form("/admin/tokens", {"user": str(editor.id), "name": "x"})
    assert response.headers["Cache-Control"] == "no-store"


def test_a_new_token_authenticates_as_its_user(admin_client, db, editor):
    secret = create_token(admin_client, editor)
    user = user_for_token(db, secret, datetime.now(UTC))
    assert user is not None and user.id == editor.id
    db.rollback()


def test_a_revoked_token_no_longer_works(admin_client, db, editor):
    secret = create_token(admin_client, editor)
    token = find(db, ApiToken, user_id=editor.id)
    response = admin_client.post_form(f"/admin/tokens/{token.id}/revoke")
    assert response.status_code == 302
    db.expire_all()
    assert user_for_token(db, secret, datetime.now(UTC)) is None
    assert actions(db)[-2:] == ["token.created", "token.revoked"]


def test_it_audits_a_new_token_without_its_secret(admin_client, db, editor):
    secret = create_token(admin_client, editor)
    details = audit_details(db, "token.created")
    assert details["username"] == "musik"
    assert secret not in str(details)


@pytest.mark.parametrize("form", [
    {"user": "", "name": "Website"},
    {"user": "999999", "name": "Website"},
    {"user": "abc", "name": "Website"},
    {"name": ""},
])
def test_it_refuses_a_token_without_a_name_or_a_real_user(admin_client, db, editor, form):
    form = {"user": str(editor.id), **form}
    response = admin_client.post_form("/admin/tokens", form)
    assert response.status_code == 422
    assert "pub_" not in page(response)
    assert count(db, ApiToken) == 0


def test_it_refuses_a_token_for_a_deactivated_user(admin_client, db, viewer):
    admin_client.post_form(f"/admin/users/{viewer.id}/deactivate")
    response = admin_client.post_form("/admin/tokens", {"user": str(viewer.id), "name": "x"})
    assert response.status_code == 422
    assert count(db, ApiToken) == 0


def test_deactivating_a_user_stops_their_tokens(admin_client, db, viewer):
    secret = create_token(admin_client, viewer)
    admin_client.post_form(f"/admin/users/{viewer.id}/deactivate")
    db.expire_all()
    assert user_for_token(db, secret, datetime.now(UTC)) is None


def test_it_lists_tokens_with_prefix_user_and_state(admin_client, db, editor):
    create_token(admin_client, editor, name="Calendar feed")
    token = find(db, ApiToken, user_id=editor.id)
    admin_client.post_form(f"/admin/tokens/{token.id}/revoke")
    body = page(admin_client.get("/admin/tokens"))
    assert token.prefix in body and "Calendar feed" in body and "musik" in body
    assert f"/admin/tokens/{token.id}/revoke" not in body


# -- overview -------------------------------------------------------------------------------


def test_the_overview_links_every_admin_screen(admin_client):
    body = page(admin_client.get("/admin/"))
    for path in ("/admin/users", "/admin/municipalities", "/admin/initiatives",
                 "/admin/approvers", "/admin/accounts", "/admin/tokens"):
        assert f'href="{path}"' in body


def test_the_overview_counts_municipalities(admin_client, db):
    total = count(db, Municipality)
    body = page(admin_client.get("/admin/"))
    assert f"<td>{total}</td>" in body
