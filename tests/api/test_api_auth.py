"""Bearer tokens guard every API operation; the OpenAPI document alone is public."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.models import ApiToken, Draft, User
from publisher.cli import main
from tests.api.helpers import ApiClient, issue_token


def test_it_refuses_a_request_without_a_token(client):
    response = client.get("/api/v1/drafts")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="publisher"'
    assert response.get_json()["status"] == 401


def test_it_refuses_an_unknown_token(app: Flask, admin: User):
    response = ApiClient(app, "pub_not-a-real-token").get("/drafts")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_it_refuses_a_token_given_in_another_scheme(app: Flask, db: Session, admin: User):
    secret = issue_token(db, admin)
    response = app.test_client().get("/api/v1/drafts",
                                     headers={"Authorization": f"Basic {secret}"})
    assert response.status_code == 401


def test_it_refuses_a_revoked_token(app: Flask, db: Session, admin: User):
    api = ApiClient(app, issue_token(db, admin))
    assert api.get("/drafts").status_code == 200
    for token in db.scalars(select(ApiToken)):
        token.revoked_at = datetime.now(UTC)
    db.commit()
    assert api.get("/drafts").status_code == 401


def test_it_refuses_the_token_of_a_deactivated_user(app: Flask, db: Session, admin: User):
    api = ApiClient(app, issue_token(db, admin))
    admin.active = False
    db.commit()
    assert api.get("/drafts").status_code == 401


def test_it_accepts_a_token_made_with_the_cli(app: Flask, admin: User):
    result = app.test_cli_runner().invoke(main, ["token", "create", "--user", "admin"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    response = ApiClient(app, secret).get("/municipalities")
    assert response.status_code == 200
    assert len(response.get_json()) == 9


def test_it_does_not_let_a_browser_session_stand_in_for_a_token(admin_client):
    assert admin_client.get("/api/v1/drafts").status_code == 401


def test_it_needs_no_csrf_token_for_writes(admin_api: ApiClient, db: Session):
    response = admin_api.post("/drafts", json={
        "title": "Uden CSRF", "initiative": "youth", "municipalities": ["herlev"]})
    assert response.status_code == 201, response.get_json()
    assert db.scalar(select(Draft.title)) == "Uden CSRF"


def test_it_records_changes_through_a_token_as_api_actions(admin_api: ApiClient):
    created = admin_api.post("/drafts", json={
        "title": "Revideret", "initiative": "youth", "municipalities": ["herlev"]}).get_json()
    events = admin_api.get(f"/drafts/{created['id']}/history").get_json()
    assert [(e["action"], e["actor_type"], e["actor_label"]) for e in events] == [
        ("created", "api", "admin")]


def test_it_serves_the_openapi_document_without_a_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"] == "3.0.3"
