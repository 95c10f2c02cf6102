"""Default-deny, checked over the whole URL map: every route that is not deliberately public
refuses anonymous visitors, admin routes refuse other roles, and every form needs a CSRF token.

These tests walk `app.url_map`, so a route added later is covered without anyone listing it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule

from drafts.models import Role
from publisher.models import metadata
from tests.conftest import Client, make_user

# Endpoints reachable without logging in. Changing this list is a security decision: make it
# on purpose, and say why in the commit.
EXPECTED_PUBLIC = {
    "static",
    "auth.index",  # sends visitors on to the login page or the queue
    "auth.login",
    "auth.language",  # the language switch works before logging in
    "health.healthz",
    "media.serve",  # images must be fetchable by the platforms that publish them
    "api-docs.openapi_json",  # the API description; the API itself needs a token
    "approve.page",  # approvers have no login: the signed link in their email is the key
    "approve.decide",
    "links.follow",  # tracked short links in published posts, followed by anyone
    "health.favicon",
    "calendar.ical",  # the private calendar feed: its secret address is the key
    # the public site and its feeds (published items only)
    "public.index", "public.events", "public.municipality_events", "public.initiative_events",
    "public.item", "public.feeds", "public.feeds_help", "public.municipality_feed",
    # a subscription's own links: confirming, one-click unsubscribe, the private feed (token)
    "subscriber.confirm", "subscriber.one_click", "subscriber.private_feed",
    # what the public sends in
    "inbound.newsletter", "inbound.newsletter_done", "inbound.suggest", "inbound.suggest_done",
}
# POST routes outside /api/ that may be called without a CSRF token: RFC 8058 one-click
# unsubscribe is posted by the reader's mail program, which has no session or form token.
CSRF_EXEMPT: set[str] = {"subscriber.one_click"}
CHANGING = ("POST", "PUT", "PATCH", "DELETE")


def _value(converter: Any) -> Any:
    """A plausible value for a URL converter."""
    kind = type(converter).__name__
    if kind == "IntegerConverter":
        return 1
    if kind == "FloatConverter":
        return 1.0
    if kind == "UUIDConverter":
        return uuid.UUID(int=1)
    if kind == "AnyConverter":
        return converter.items[0]
    return "x"


def url_for_rule(rule: Rule) -> str:
    values = {name: _value(conv) for name, conv in rule._converters.items()}
    built = rule.build(values, append_unknown=False)
    assert built is not None, f"cannot build {rule.rule}"
    return built[1]


def routes(app: Flask) -> Iterator[tuple[Rule, str, Any]]:
    """Every rule except static files, with each method it answers and its view."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method, app.view_functions[rule.endpoint]


def is_public(view: Any) -> bool:
    return bool(getattr(view, "_public", False))


def snapshot(db: Any) -> dict[str, list[str]]:
    """Every row of every table, to show that refused requests changed nothing."""
    found = {t.name: sorted(repr(tuple(r)) for r in db.execute(select(t))) for t in
             metadata.sorted_tables}
    db.commit()
    return found


def call(client: Any, method: str, url: str, **kw: Any) -> Any:
    return client.open(url, method=method, **kw)


def test_the_public_endpoints_are_exactly_the_expected_ones(app):
    public = {e for e, view in app.view_functions.items() if is_public(view)} | {"static"}
    assert public == EXPECTED_PUBLIC, (
        "The set of endpoints reachable without login changed.\n"
        f"  newly public: {sorted(public - EXPECTED_PUBLIC)}\n"
        f"  no longer public: {sorted(EXPECTED_PUBLIC - public)}\n"
        "If this is intended, update EXPECTED_PUBLIC in tests/web/test_access.py."
    )


def test_every_protected_route_refuses_anonymous_visitors(client, app, db):
    before = snapshot(db)
    problems = []
    for rule, method, view in routes(app):
        if is_public(view):
            continue
        url = url_for_rule(rule)
        response = call(client, method, url)
        token_auth = getattr(view, "_token_auth", False) or rule.rule.startswith("/api/")
        if method == "GET" and token_auth:
            ok = response.status_code == 401
        elif method == "GET":
            location = response.headers.get("Location", "")
            ok = response.status_code == 302 and location.startswith("/login")
        else:
            ok = response.status_code in (400, 401, 403)
        if not ok:
            problems.append(f"{method} {url} ({rule.endpoint}) answered {response.status_code}")
    assert not problems, "Anonymous requests were not refused:\n  " + "\n  ".join(problems)
    assert snapshot(db) == before


def test_the_walk_covers_the_admin_and_api_routes(app):
    endpoints = {rule.endpoint for rule, _m, _v in routes(app)}
    assert {"admin.users", "admin.token_create", "drafts.queue"} <= endpoints


@pytest.mark.parametrize("role", [Role.EDITOR, Role.VIEWER])
def test_every_admin_route_refuses_editors_and_viewers(client, app, db, role):
    make_user(db, "someone", role, ("music",) if role is Role.EDITOR else ())
    assert client.login("someone").status_code == 302
    before = snapshot(db)
    problems = []
    for rule, method, _view in routes(app):
        if not (rule.endpoint.startswith("admin.") or rule.rule.startswith("/admin/")):
            continue
        url = url_for_rule(rule)
        data = {"csrf_token": client.csrf_token(), "active": "0", "name": "x", "user": "1"}
        response = call(client, method, url, data=data if method in CHANGING else None)
        if response.status_code != 403:
            problems.append(f"{method} {url} answered {response.status_code}")
    assert not problems, f"Admin routes let a {role.value} in:\n  " + "\n  ".join(problems)
    assert snapshot(db) == before


def test_every_form_outside_the_api_needs_a_csrf_token(admin_client, app, db):
    before = snapshot(db)
    problems = []
    for rule, method, _view in routes(app):
        if method not in CHANGING or rule.rule.startswith("/api/"):
            continue
        if rule.endpoint in CSRF_EXEMPT:
            continue
        url = url_for_rule(rule)
        response = call(admin_client, method, url, data={"name": "x", "active": "0"})
        if response.status_code != 400:
            problems.append(f"{method} {url} answered {response.status_code}")
    assert not problems, "Forms accepted without a CSRF token:\n  " + "\n  ".join(problems)
    assert snapshot(db) == before
    assert admin_client.get("/admin/").status_code == 200  # still logged in after /logout


def test_login_needs_a_csrf_token(client, admin):
    response = client.post("/login", data={"username": "admin", "password": "x" * 20})
    assert response.status_code == 400
    assert client.get("/queue").status_code == 302


def test_logout_needs_a_csrf_token(admin_client):
    assert admin_client.post("/logout").status_code == 400
    assert admin_client.get("/queue").status_code == 200


def test_the_language_switch_needs_a_csrf_token(client):
    assert client.post("/language", data={"locale": "en"}).status_code == 400
    assert '<html lang="da">' in client.get("/login").get_data(as_text=True)


def test_creating_a_user_needs_a_csrf_token(admin_client, db):
    before = snapshot(db)
    form = {"username": "sneaky", "name": "Sneaky", "role": "admin", "locale": "da",
            "password": "a long enough password"}
    response = admin_client.post("/admin/users/new", data=form)
    assert response.status_code == 400
    assert snapshot(db) == before


def test_a_csrf_token_from_another_session_is_refused(app, admin_client, db):
    other: Client = app.test_client()  # type: ignore[assignment]
    foreign = other.csrf_token()
    form = {"username": "sneaky", "name": "Sneaky", "role": "admin", "locale": "da",
            "password": "a long enough password", "csrf_token": foreign}
    assert admin_client.post("/admin/users/new", data=form).status_code == 400
