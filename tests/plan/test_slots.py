"""Slots, the next free slot, quiet periods and rhythm goals, with a fixed clock (no sleeping)."""

from __future__ import annotations

from datetime import date

from schedules.slots import next_free_slot, quiet_periods_for, rhythm, slot_times
from tests.plan.helpers import ZONE, add_goal, add_quiet, add_slot, draft_at, local

NOW = local("2026-03-02T08:00")  # a Monday


def test_a_weekly_slot_keeps_its_local_time_across_the_spring_clock_change(db):
    slot = add_slot(db, "facebook", [3], "12:00")  # Thursdays
    times = slot_times(slot, date(2026, 3, 23), date(2026, 4, 5), ZONE)
    assert [t.astimezone(ZONE).strftime("%Y-%m-%d %H:%M") for t in times] == [
        "2026-03-26 12:00",
        "2026-04-02 12:00",
    ]
    assert [t.hour for t in times] == [11, 10]  # UTC: +01:00 before, +02:00 after


def test_an_every_other_week_slot_runs_only_in_the_weeks_of_its_anchor(db):
    slot = add_slot(db, "newsletter", [3], "09:00", every_weeks=2, anchor=date(2026, 3, 5))
    times = slot_times(slot, date(2026, 3, 1), date(2026, 3, 31), ZONE)
    assert [t.astimezone(ZONE).day for t in times] == [5, 19]


def test_a_slot_in_the_spring_gap_moves_to_the_first_minute_that_exists(db):
    slot = add_slot(db, "x", [6], "02:30")  # Sundays; 29 March 2026 has no 02:30
    (when,) = slot_times(slot, date(2026, 3, 29), date(2026, 3, 29), ZONE)
    assert when.astimezone(ZONE).strftime("%H:%M") == "03:00"


def test_the_next_free_slot_skips_a_slot_that_is_taken(db):
    add_slot(db, "facebook", [1, 3], "12:00")  # Tuesday and Thursday
    draft_at(db, "2026-03-03T12:00")  # Tuesday's slot is taken by a Facebook item
    assert next_free_slot(db, "facebook", NOW, ZONE) == local("2026-03-05T12:00")


def test_a_slot_taken_on_another_channel_is_still_free(db):
    add_slot(db, "facebook", [1], "12:00")
    draft_at(db, "2026-03-03T12:00", channels=["website"])
    assert next_free_slot(db, "facebook", NOW, ZONE) == local("2026-03-03T12:00")


def test_the_next_free_slot_skips_a_quiet_period(db):
    add_slot(db, "facebook", [1, 3], "12:00")
    add_quiet(db, "Kommunalvalg", local("2026-03-03T00:00"), local("2026-03-06T00:00"))
    assert next_free_slot(db, "facebook", NOW, ZONE) == local("2026-03-10T12:00")


def test_a_quiet_period_for_one_municipality_leaves_the_others_free(db):
    from sqlalchemy import select

    from drafts.models import Municipality

    koge = db.scalar(select(Municipality).where(Municipality.slug == "koge"))
    add_slot(db, "facebook", [1], "12:00")
    add_quiet(
        db, "Embargo", local("2026-03-03T00:00"), local("2026-03-04T00:00"), municipality=koge
    )
    assert next_free_slot(db, "facebook", NOW, ZONE, municipality_ids=[koge.id]) == local(
        "2026-03-10T12:00"
    )
    assert next_free_slot(db, "facebook", NOW, ZONE) == local("2026-03-03T12:00")


def test_a_channel_without_slots_has_no_next_slot(db):
    assert next_free_slot(db, "instagram", NOW, ZONE) is None


def test_quiet_periods_for_a_draft_match_its_channel(db):
    draft = draft_at(db, "2026-03-03T12:00", channels=["facebook"])
    add_quiet(
        db,
        "Nyhedsbrevspause",
        local("2026-03-01T00:00"),
        local("2026-03-31T00:00"),
        channel="newsletter",
    )
    assert quiet_periods_for(db, draft, local("2026-03-03T12:00")) == []
    period = add_quiet(db, "Valg", local("2026-03-01T00:00"), local("2026-03-31T00:00"))
    assert quiet_periods_for(db, draft, local("2026-03-03T12:00")) == [period]


def test_rhythm_counts_per_calendar_month_in_copenhagen_time(db):
    add_goal(db, "facebook", 2, 4)
    # 31 January 23:30 UTC is 1 February 00:30 in Copenhagen: it counts for February.
    draft_at(db, "2026-02-01T00:30")
    draft_at(db, "2026-01-31T23:30")
    (january,) = rhythm(db, date(2026, 1, 15), ZONE)
    (february,) = rhythm(db, date(2026, 2, 15), ZONE)
    assert (january.count, february.count) == (1, 1)


def test_rhythm_says_short_met_or_over(db):
    add_goal(db, "newsletter", 2, 3)
    month = date(2026, 5, 1)
    verdicts = []
    for day in (5, 12, 19, 26):
        verdicts.append(rhythm(db, month, ZONE)[0].verdict)
        draft_at(db, f"2026-05-{day:02d}T09:00", channels=["newsletter"])
    verdicts.append(rhythm(db, month, ZONE)[0].verdict)
    assert verdicts == ["short", "short", "met", "met", "over"]


def test_cancelled_items_do_not_count_towards_the_rhythm(db):
    add_goal(db, "facebook", 1, None)
    draft = draft_at(db, "2026-05-05T09:00")
    draft.status = "cancelled"
    db.commit()
    assert rhythm(db, date(2026, 5, 1), ZONE)[0].count == 0
