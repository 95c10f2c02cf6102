"""The calendar, the plan and quiet periods in API v1 and its OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from schedules.plan import PlanSlot, QuietPeriod
from tests.api.helpers import ApiClient, issue_token
from tests.plan.helpers import ZONE, add_quiet, deliveries, draft_at, local, scheduled_at


@pytest.fixture
def admin_api(app, db, admin) -> ApiClient:
    return ApiClient(app, issue_token(db, admin))


@pytest.fixture
def viewer_api(app, db, viewer) -> ApiClient:
    return ApiClient(app, issue_token(db, viewer))


def _day(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).astimezone(ZONE).date().isoformat()


def test_the_calendar_lists_items_with_their_local_day(admin_api, db):
    draft_at(db, "2026-03-29T00:30", title="Nat til søndag")
    response = admin_api.get("/calendar?from=2026-03-29&to=2026-03-29")
    assert response.status_code == 200
    (item,) = response.json
    assert item["local_day"] == "2026-03-29"
    assert item["local_at"] == "2026-03-29T00:30:00+01:00"
    assert item["at"].startswith("2026-03-28T23:30:00")


def test_a_calendar_span_longer_than_a_quarter_is_refused(admin_api):
    response = admin_api.get("/calendar?from=2026-01-01&to=2026-12-31")
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "to"


def test_an_unknown_channel_filter_is_refused(admin_api):
    response = admin_api.get("/calendar?from=2026-01-01&to=2026-01-31&channel=myspace")
    assert response.status_code == 422


def test_moving_through_the_api_moves_the_deliveries(app, admin_api, db, routine_policy):
    draft = scheduled_at(app, db, f"{_day(3)}T10:00")
    response = admin_api.post(
        f"/calendar/items/{draft.id}/move", json={"date": _day(5), "time": "08:15"}
    )
    assert response.status_code == 200, response.json
    assert response.json["moved_deliveries"]
    assert {d.due_at for d in deliveries(db, draft)} == {local(f"{_day(5)}T08:15")}


def test_a_move_into_a_quiet_period_is_a_409_with_its_code(app, admin_api, db, routine_policy):
    draft = scheduled_at(app, db, f"{_day(3)}T10:00")
    start = local(f"{_day(5)}T00:00")
    period = add_quiet(db, "Kommunalvalg", start, start + timedelta(days=1))
    response = admin_api.post(
        f"/calendar/items/{draft.id}/move", json={"date": _day(5), "time": "08:15"}
    )
    assert response.status_code == 409
    assert response.json["code"] == "quiet_period"
    assert response.json["quiet_periods"] == [period.id]
    assert "Kommunalvalg" in response.json["detail"]


def test_a_viewer_cannot_move_through_the_api(viewer_api, db):
    draft = draft_at(db, f"{_day(3)}T10:00")
    response = viewer_api.post(
        f"/calendar/items/{draft.id}/move", json={"date": _day(5), "time": "08:15"}
    )
    assert response.status_code == 403


def test_slots_are_added_listed_and_give_the_next_free_slot(admin_api, db):
    response = admin_api.post(
        "/plan/slots", json={"channel": "facebook", "weekdays": [1, 3], "local_time": "12:00"}
    )
    assert response.status_code == 201
    assert [s["channel"] for s in admin_api.get("/plan/slots").json] == ["facebook"]
    after = "2026-03-02T08:00:00+01:00"
    draft_at(db, "2026-03-03T12:00")
    response = admin_api.get(f"/plan/next-slot?channel=facebook&after={after.replace('+', '%2B')}")
    assert response.json["at"].startswith("2026-03-05T11:00:00")


def test_a_viewer_cannot_add_a_slot(viewer_api, db):
    response = viewer_api.post(
        "/plan/slots", json={"channel": "facebook", "weekdays": [1], "local_time": "12:00"}
    )
    assert response.status_code == 403
    assert db.scalar(select(func.count(PlanSlot.id))) == 0


def test_a_goal_is_set_and_the_rhythm_counted_for_a_month(admin_api, db):
    response = admin_api.call(
        "PUT", "/plan/goals", json={"channel": "newsletter", "per_month_min": 2, "per_month_max": 4}
    )
    assert response.status_code == 200
    draft_at(db, "2026-05-07T09:00", channels=["newsletter"])
    (row,) = admin_api.get("/plan/rhythm?month=2026-05").json
    assert (row["count"], row["verdict"]) == (1, "short")


def test_a_quiet_period_is_added_and_names_the_items_inside(admin_api, db):
    inside = draft_at(db, f"{_day(10)}T12:00")
    response = admin_api.post(
        "/quiet-periods", json={"title": "Embargo", "first_day": _day(10), "last_day": _day(10)}
    )
    assert response.status_code == 201
    assert response.json["items_inside"] == [inside.id]
    assert [p["title"] for p in admin_api.get("/quiet-periods").json] == ["Embargo"]


def test_a_quiet_period_with_a_bad_date_is_refused_and_nothing_saved(admin_api, db):
    response = admin_api.post(
        "/quiet-periods",
        json={"title": "Embargo", "first_day": "i morgen", "last_day": "2026-01-01"},
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "first_day"
    assert db.scalar(select(func.count(QuietPeriod.id))) == 0


def test_the_openapi_document_describes_the_calendar_and_the_plan(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/calendar",
        "/api/v1/calendar/items/{id}/move",
        "/api/v1/plan/slots",
        "/api/v1/plan/goals",
        "/api/v1/plan/rhythm",
        "/api/v1/plan/next-slot",
        "/api/v1/quiet-periods",
    ):
        assert path in paths, path
