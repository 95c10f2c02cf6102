"""No route answers 500, whatever id or date it is given, whoever asks.

Problem 6: GET /api/v1/drafts?desired_to=9999-12-31 (a day added before the year check) and ids
above the database's integer range on 15 web routes (/drafts/99999999999999999999) were 500s.

The walk reads `app.url_map`, so a route added later is walked without being listed here. Each
rule is called with every method it answers, its integer arguments at 0, −1, 2³¹, 2³¹−1, 2⁶³
and 10²⁰ (other arguments "x"), a query string and a form with dates at the calendar's edges,
as an anonymous visitor, a viewer and an admin (session and API token alike).

To leave a route out, add its endpoint to EXEMPT with the reason; to give a custom converter
sensible values, add its class name to VALUES.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter, Rule

from drafts.models import Role
from publisher.auth import new_api_token
from tests.conftest import make_user

IDS = ["0", "-1", str(2**31), str(2**31 - 1), str(2**63), str(10**20)]
EXEMPT: dict[str, str] = {
    "static": "files on disk, no input",
}
LAST = "auth.logout"
VALUES: dict[str, list[str]] = {}  # converter class name → values to try
EDGES = ["0001-01-01", "9999-12-31", "1999-12-31T23:59", "9999-12-31T23:59:59+14:00",
         "2025-03-30T02:30", "0000-00-00", str(10**20)]
DATE_NAMES = ["date_from", "date_to", "desired_from", "desired_to", "desired_at", "event_start",
              "event_end", "day", "month", "week", "year", "from", "to", "start", "end",
              "since", "until", "page", "per_page"]


def _paths(rule: Rule) -> Iterator[str]:
    """The rule's path with each integer argument at every edge (others "x")."""
    arguments = list(rule._converters.items())
    ints = [n for n, c in arguments if isinstance(c, IntegerConverter)]
    rounds = IDS if ints else ["-"]
    for edge in rounds:
        path = rule.rule
        for name, converter in arguments:
            kind = type(converter).__name__
            value = edge if name in ints else VALUES.get(kind, ["x"])[0]
            path = re.sub(rf"<(?:[^>:]+:)?{name}>", value, path)
        yield path


def _queries() -> Iterator[str]:
    for edge in EDGES:
        yield "?" + "&".join(f"{n}={edge}" for n in DATE_NAMES)


def _calls(app: Flask) -> Iterator[tuple[str, str, str]]:
    # Logging out ends the caller's session: walk it last, so the rest is walked logged in.
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint == LAST, r.rule)):
        if rule.endpoint in EXEMPT:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for path in _paths(rule):
                yield rule.endpoint, method, path
            if not rule.arguments:
                for query in _queries():
                    yield rule.endpoint, method, rule.rule + query


@pytest.fixture(params=["anonymous", "viewer", "admin"])
def caller(request: Any, app: Flask, db: Any, client: Any) -> tuple[Any, dict[str, str]]:
    if request.param == "anonymous":
        return client, {}
    role = Role.VIEWER if request.param == "viewer" else Role.ADMIN
    user = make_user(db, request.param, role)
    _row, secret = new_api_token(db, user, "walk", datetime.now(UTC))
    db.commit()
    assert client.login(request.param).status_code == 302
    return client, {"Authorization": f"Bearer {secret}"}


def test_no_route_answers_500_for_any_id_date_or_caller(app: Flask, caller: Any) -> None:
    client, headers = caller
    token = client.csrf_token()
    failures = []
    for endpoint, method, url in _calls(app):
        form = {"csrf_token": token, **{n: EDGES[1] for n in DATE_NAMES}}
        kwargs: dict[str, Any] = {"headers": headers}
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            kwargs["data"] = form
        response = client.open(url, method=method, **kwargs)
        if response.status_code >= 500:
            failures.append(f"{method} {url} ({endpoint}): {response.status_code}")
    assert failures == []


def test_the_walk_covers_every_route_with_an_id(app: Flask) -> None:
    walked = {e for e, _m, _u in _calls(app)}
    with_ids = {r.endpoint for r in app.url_map.iter_rules()
                if any(isinstance(c, IntegerConverter) for c in r._converters.values())}
    assert with_ids and with_ids <= walked


def test_an_id_beyond_the_database_range_is_a_404(client, admin) -> None:
    client.login("admin")
    assert client.get("/drafts/99999999999999999999").status_code == 404
    assert client.get(f"/drafts/{2**31}").status_code == 404


def test_a_desired_to_on_the_last_day_of_the_calendar_is_refused_not_a_500(app, db, admin):
    from tests.api.helpers import issue_token

    secret = issue_token(db, admin)
    response = app.test_client().get("/api/v1/drafts?desired_to=9999-12-31",
                                     headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
