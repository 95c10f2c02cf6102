"""Helpers for the calendar and posting-plan tests: drafts at a local time, scheduled or not."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.models import Draft
from publisher.flows import approval as approval_flow
from schedules.models import Delivery
from schedules.plan import PlanSlot, QuietPeriod, RhythmGoal
from tests.approvals.helpers import make_draft

ZONE = ZoneInfo("Europe/Copenhagen")
ADMIN = ("user", None, "tests")


def local(text: str) -> datetime:
    """'2026-03-29T09:00' in Copenhagen → an aware UTC datetime (fold 0)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZONE).astimezone(UTC)


def draft_at(db: Session, when_local: str, **fields: Any) -> Draft:
    """A draft (status draft) desired at the local time `when_local`."""
    return make_draft(db, None, desired_at=when_local, **fields)


def scheduled_at(app: Flask, db: Session, when_local: str, **fields: Any) -> Draft:
    """A draft approved by an administrator (needs `routine_policy`) and so scheduled."""
    draft = draft_at(db, when_local, **fields)
    with app.app_context():
        approval_flow.admin_approve(db, draft, datetime.now(UTC), ADMIN)
        db.commit()
    assert draft.status == "scheduled", draft.status
    return draft


def deliveries(db: Session, draft: Draft) -> list[Delivery]:
    db.expire_all()
    return list(db.scalars(select(Delivery).where(Delivery.draft_id == draft.id)))


def add_quiet(db: Session, title: str, starts: datetime, ends: datetime, **kw: Any) -> QuietPeriod:
    period = QuietPeriod(title=title, starts_at=starts, ends_at=ends, **kw)
    db.add(period)
    db.commit()
    return period


def add_slot(
    db: Session,
    channel: str,
    weekdays: list[int],
    at: str,
    every_weeks: int = 1,
    anchor: date = date(2026, 1, 5),
) -> PlanSlot:
    slot = PlanSlot(
        channel=channel, weekdays=weekdays, local_time=at, every_weeks=every_weeks, anchor=anchor
    )
    db.add(slot)
    db.commit()
    return slot


def add_goal(db: Session, channel: str, minimum: int, maximum: int | None) -> RhythmGoal:
    goal = RhythmGoal(channel=channel, per_month_min=minimum, per_month_max=maximum)
    db.add(goal)
    db.commit()
    return goal
