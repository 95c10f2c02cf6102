"""The private iCal feed and the posting-plan page (slots, rhythm goals, quiet periods)."""

from __future__ import annotations

import re
from datetime import datetime

from icalendar import Calendar
from sqlalchemy import func, select

from schedules.plan import PlanSlot, QuietPeriod, RhythmGoal
from tests.plan.helpers import ZONE, draft_at


def _today_local(hour: str) -> str:
    from datetime import UTC, timedelta

    day = (datetime.now(UTC) + timedelta(days=10)).astimezone(ZONE).date()
    return f"{day.isoformat()}T{hour}"


def _feed_url(client) -> str:
    page = client.post_form("/calendar/feed").get_data(as_text=True)
    match = re.search(r'value="(http://[^"]+\.ics)"', page)
    assert match, "no feed address shown"
    return match.group(1).removeprefix("http://localhost")


def test_the_ical_feed_parses_and_gives_the_local_times(admin_client, client, db):
    when = _today_local("09:30")
    draft_at(db, when, title="Koncert i byparken")
    url = _feed_url(admin_client)
    response = client.get(url)  # a calendar application: no session cookie needed
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    (event,) = [e for e in calendar.walk("VEVENT") if "Koncert" in str(e["summary"])]
    start = event.decoded("dtstart")
    assert start.tzinfo is not None and getattr(start.tzinfo, "key", "") == "Europe/Copenhagen"
    assert start.replace(tzinfo=None) == datetime.fromisoformat(when)
    assert calendar.walk("VTIMEZONE"), "the feed carries its time zone"


def test_a_summer_and_a_winter_item_keep_their_wall_clock_times_in_the_feed(
    admin_client, client, db
):
    from datetime import UTC, timedelta

    base = datetime.now(UTC).astimezone(ZONE)
    items = []
    for days in (5, 95, 185):  # at least one on each side of a clock change
        day = (base + timedelta(days=days)).date()
        items.append(draft_at(db, f"{day.isoformat()}T09:00", title=f"Punkt {days}"))
    calendar = Calendar.from_ical(client.get(_feed_url(admin_client)).data)
    starts = {
        str(e["summary"]).split(" (")[0]: e.decoded("dtstart") for e in calendar.walk("VEVENT")
    }
    assert {starts[f"Punkt {d}"].strftime("%H:%M") for d in (5, 95, 185)} == {"09:00"}


def test_a_revoked_feed_address_stops_working(admin_client, client):
    url = _feed_url(admin_client)
    assert client.get(url).status_code == 200
    admin_client.post_form("/calendar/feed/revoke")
    assert client.get(url).status_code == 404


def test_a_new_feed_address_replaces_the_old_one(admin_client, client):
    first = _feed_url(admin_client)
    second = _feed_url(admin_client)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_a_guessed_feed_address_finds_nothing(client):
    assert client.get("/calendar/feed/not-a-secret.ics").status_code == 404


def test_a_slot_is_added_from_the_plan_page(editor_client, db):
    response = editor_client.post_form(
        "/calendar/plan/slots",
        {"channel": "newsletter", "weekdays": ["3"], "local_time": "09:00", "every_weeks": "2"},
    )
    assert response.status_code == 302
    slot = db.scalar(select(PlanSlot))
    assert (slot.channel, slot.weekdays, slot.local_time, slot.every_weeks) == (
        "newsletter",
        [3],
        "09:00",
        2,
    )


def test_a_slot_without_days_is_refused_and_nothing_saved(editor_client, db):
    response = editor_client.post_form(
        "/calendar/plan/slots", {"channel": "facebook", "local_time": "25:00", "every_weeks": "1"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Udfyld feltet" in page and "TT:MM" in page
    assert db.scalar(select(func.count(PlanSlot.id))) == 0


def test_a_viewer_cannot_change_the_plan(client, viewer, db):
    client.login("viewer")
    response = client.post_form(
        "/calendar/plan/goals", {"channel": "newsletter", "per_month_min": "2"}
    )
    assert response.status_code == 403
    assert db.scalar(select(func.count(RhythmGoal.id))) == 0


def test_a_rhythm_goal_is_saved_and_shown_in_the_calendar(admin_client, db):
    admin_client.post_form(
        "/calendar/plan/goals",
        {"channel": "newsletter", "per_month_min": "2", "per_month_max": "4"},
    )
    draft_at(db, "2026-05-07T09:00", channels=["newsletter"])
    page = admin_client.get("/calendar?day=2026-05-01").get_data(as_text=True)
    assert "Nyhedsbrev: 1 (mål 2–4)" in page
    assert 'class="rhythm-short"' in page


def test_a_maximum_below_the_minimum_is_refused(admin_client, db):
    response = admin_client.post_form(
        "/calendar/plan/goals",
        {"channel": "newsletter", "per_month_min": "4", "per_month_max": "2"},
    )
    assert response.status_code == 422
    assert db.scalar(select(func.count(RhythmGoal.id))) == 0


def test_a_new_quiet_period_lists_the_items_already_inside_it(admin_client, db):
    inside = draft_at(db, _today_local("12:00"), title="Midt i valget")
    day = _today_local("00:00")[:10]
    response = admin_client.post_form(
        "/calendar/plan/quiet",
        {"title": "Kommunalvalg", "reason": "Valgloven", "first_day": day, "last_day": day},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "1 planlagte opslag ligger i den" in page
    assert f"/calendar/items/{inside.id}/move" in page
    period = db.scalar(select(QuietPeriod))
    assert period.starts_at.astimezone(ZONE).strftime("%H:%M") == "00:00"
    assert (period.ends_at - period.starts_at).total_seconds() in (82800, 86400, 90000)


def test_a_quiet_period_ending_before_it_starts_is_refused(admin_client, db):
    response = admin_client.post_form(
        "/calendar/plan/quiet",
        {"title": "Baglæns", "first_day": "2026-06-10", "last_day": "2026-06-01"},
    )
    assert response.status_code == 422
    assert db.scalar(select(func.count(QuietPeriod.id))) == 0


def test_the_calendar_marks_days_in_a_quiet_period(admin_client, db):
    admin_client.post_form(
        "/calendar/plan/quiet",
        {"title": "Embargo", "first_day": "2026-06-10", "last_day": "2026-06-11"},
    )
    page = admin_client.get("/calendar?day=2026-06-01").get_data(as_text=True)
    assert re.search(r'data-day="2026-06-10" class="[^"]*quiet', page)
    assert not re.search(r'data-day="2026-06-12" class="[^"]*quiet', page)


def test_the_move_form_suggests_the_next_free_slot(admin_client, db):
    admin_client.post_form(
        "/calendar/plan/slots",
        {
            "channel": "facebook",
            "weekdays": [str(n) for n in range(7)],
            "local_time": "12:00",
            "every_weeks": "1",
        },
    )
    draft = draft_at(db, _today_local("10:00"))
    page = admin_client.get(f"/calendar/items/{draft.id}/move").get_data(as_text=True)
    assert "Næste ledige faste tid" in page and "kl. 12.00" in page


def test_the_compose_form_shows_the_next_free_slot_of_the_plan(admin_client, db):
    admin_client.post_form(
        "/calendar/plan/slots",
        {
            "channel": "newsletter",
            "weekdays": [str(n) for n in range(7)],
            "local_time": "09:00",
            "every_weeks": "1",
        },
    )
    page = admin_client.get("/drafts/new").get_data(as_text=True)
    hint = re.search(r'<p class="hint" id="free-slots">(.*?)</p>', page, re.S)
    assert hint and "Nyhedsbrev" in hint.group(1) and "09.00" in hint.group(1)
