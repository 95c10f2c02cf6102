"""API test helpers: bearer tokens for users, a JSON client, drafts arranged in the database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from drafts.models import Draft, User
from drafts.service import create_draft
from drafts.validation import clean_draft_input
from publisher.auth import new_api_token

ZONE = ZoneInfo("Europe/Copenhagen")
MUNICIPALITIES = {"albertslund", "fureso", "halsnaes", "helsingor", "herlev", "ishoj", "koge",
                  "roskilde", "rodovre"}
INITIATIVES = {"music", "youth", "culture-health"}


def issue_token(db: Session, user: User) -> str:
    """A fresh API token for `user` (committed)."""
    _token, secret = new_api_token(db, user, "tests", datetime.now(UTC))
    db.commit()
    return secret


def count(db: Session, model: type) -> int:
    """Rows of `model` as the database has them now."""
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def arrange_draft(db: Session, user: User, **fields: Any) -> Draft:
    """A draft made through the domain service, as if someone had written it before."""
    raw: dict[str, Any] = {"title": "Koncert i parken", "body": "Kom og hør **musik**.",
                           "initiative": "music", "municipalities": ["roskilde"],
                           "channels": ["facebook", "x"]}
    raw.update(fields)
    data, errors = clean_draft_input(raw, zone=ZONE, municipalities=MUNICIPALITIES,
                                     initiatives=INITIATIVES)
    assert data is not None, errors
    draft = create_draft(db, data, actor=("user", user.id, user.username), author_id=user.id,
                         now=datetime.now(UTC))
    db.commit()
    return draft


class ApiClient:
    """Calls the API as one user, with their bearer token."""

    def __init__(self, app: Flask, token: str) -> None:
        self.client = app.test_client()
        self.token = token

    def call(self, method: str, url: str, *, headers: dict[str, str] | None = None,
             **kw: Any) -> Any:
        sent = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        return self.client.open("/api/v1" + url, method=method, headers=sent, **kw)

    def get(self, url: str, **kw: Any) -> Any:
        return self.call("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.call("POST", url, **kw)

    def patch(self, url: str, **kw: Any) -> Any:
        return self.call("PATCH", url, **kw)
