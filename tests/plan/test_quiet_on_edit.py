"""A quiet period also holds when a scheduled item's time is changed from the draft itself (the
edit form and the API), not only when it is moved in the calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.helpers import ApiClient, issue_token
from tests.plan.helpers import ZONE, add_quiet, deliveries, local, scheduled_at


def _future(days: int, at: str = "10:00") -> str:
    day = (datetime.now(UTC) + timedelta(days=days)).astimezone(ZONE).date()
    return f"{day.isoformat()}T{at}"


def test_the_api_refuses_a_new_time_inside_a_quiet_period_and_nothing_moves(
        app, db, admin, routine_policy):
    draft = scheduled_at(app, db, _future(3))
    before = draft.desired_at
    start = local(_future(5, "00:00"))
    add_quiet(db, "Kommunalvalg", start, start + timedelta(days=1))
    api = ApiClient(app, issue_token(db, admin))

    response = api.patch(f"/drafts/{draft.id}", json={"desired_at": _future(5, "12:00")})

    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == "quiet_period" and "Kommunalvalg" in body["detail"]
    db.expire_all()
    assert draft.desired_at == before and draft.status == "scheduled"
    assert {d.due_at for d in deliveries(db, draft)} == {before}


def test_a_new_time_outside_the_quiet_period_moves_the_deliveries(app, db, admin,
                                                                  routine_policy):
    draft = scheduled_at(app, db, _future(3))
    start = local(_future(5, "00:00"))
    add_quiet(db, "Kommunalvalg", start, start + timedelta(days=1))
    api = ApiClient(app, issue_token(db, admin))

    response = api.patch(f"/drafts/{draft.id}", json={"desired_at": _future(6, "12:00")})

    assert response.status_code == 200
    assert {d.due_at for d in deliveries(db, draft)} == {local(_future(6, "12:00"))}
