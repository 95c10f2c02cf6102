"""Keeping the posting plan: recurring slots, rhythm goals and quiet periods.

Input arrives checked by the face (web form or API schema); these functions write it and say
what follows (the items a new quiet period catches). Callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.models import CHANNEL_NAMES, Draft, Municipality
from schedules.plan import PlanSlot, QuietPeriod, RhythmGoal
from schedules.slots import items_in_quiet_period, parse_hhmm, wall_clock_utc

Problem = tuple[str, str]  # (field, code): the face words it in the user's language


@dataclass(frozen=True)
class SlotInput:
    channel: str
    weekdays: tuple[int, ...]
    local_time: str
    every_weeks: int
    anchor: date


@dataclass(frozen=True)
class QuietInput:
    title: str
    reason: str
    first_day: date
    last_day: date  # inclusive, local
    municipality: str  # slug or ""
    channel: str  # or ""


def check_slot(
    channel: str, weekdays: list[str], local_time: str, every_weeks: str, anchor: date
) -> tuple[SlotInput | None, list[Problem]]:
    """Check raw slot fields; return the input or problems."""
    problems: list[Problem] = []
    if channel not in CHANNEL_NAMES:
        problems.append(("channel", "unknown"))
    days = sorted({int(d) for d in weekdays if d.isdigit() and 0 <= int(d) <= 6})
    if not days or len(days) != len(set(weekdays)):
        problems.append(("weekdays", "required"))
    try:
        parse_hhmm(local_time)
        if not (0 <= int(local_time[:2]) <= 23 and 0 <= int(local_time[3:]) <= 59):
            raise ValueError(local_time)
    except (ValueError, IndexError):
        problems.append(("local_time", "not_a_time"))
    if every_weeks not in ("1", "2", "3", "4"):
        problems.append(("every_weeks", "range"))
    if problems:
        return None, problems
    return SlotInput(channel, tuple(days), local_time, int(every_weeks), anchor), []


def add_slot(session: Session, data: SlotInput, now: datetime) -> PlanSlot:
    slot = PlanSlot(
        channel=data.channel,
        weekdays=list(data.weekdays),
        local_time=data.local_time,
        every_weeks=data.every_weeks,
        anchor=data.anchor,
        created_at=now,
    )
    session.add(slot)
    session.flush()
    return slot


def slots(session: Session) -> list[PlanSlot]:
    return list(session.scalars(select(PlanSlot).order_by(PlanSlot.channel, PlanSlot.id)))


def delete_slot(session: Session, slot_id: int) -> bool:
    slot = session.get(PlanSlot, slot_id)
    if slot is None:
        return False
    session.delete(slot)
    session.flush()
    return True


def check_goal(
    channel: str, minimum: str, maximum: str
) -> tuple[tuple[str, int, int | None] | None, list[Problem]]:
    """Check raw rhythm-goal fields (a month's minimum and optional maximum)."""
    problems: list[Problem] = []
    if channel not in CHANNEL_NAMES:
        problems.append(("channel", "unknown"))
    if not minimum.isdigit() or int(minimum) > 100:
        problems.append(("per_month_min", "range"))
    if maximum and (not maximum.isdigit() or int(maximum) > 100):
        problems.append(("per_month_max", "range"))
    elif maximum and minimum.isdigit() and int(maximum) < int(minimum):
        problems.append(("per_month_max", "below_min"))
    if problems:
        return None, problems
    return (channel, int(minimum), int(maximum) if maximum else None), []


def set_goal(
    session: Session, channel: str, minimum: int, maximum: int | None, now: datetime
) -> RhythmGoal:
    """Create or replace the channel's monthly goal."""
    goal = session.scalar(select(RhythmGoal).where(RhythmGoal.channel == channel))
    if goal is None:
        goal = RhythmGoal(channel=channel, created_at=now)
        session.add(goal)
    goal.per_month_min, goal.per_month_max = minimum, maximum
    session.flush()
    return goal


def goals(session: Session) -> list[RhythmGoal]:
    return list(session.scalars(select(RhythmGoal).order_by(RhythmGoal.channel)))


def delete_goal(session: Session, goal_id: int) -> bool:
    goal = session.get(RhythmGoal, goal_id)
    if goal is None:
        return False
    session.delete(goal)
    session.flush()
    return True


def check_quiet(
    title: str,
    reason: str,
    first_day: str,
    last_day: str,
    municipality: str,
    channel: str,
    municipalities: set[str],
) -> tuple[QuietInput | None, list[Problem]]:
    """Check raw quiet-period fields (whole local days, the last one included)."""
    problems: list[Problem] = []
    if not title.strip():
        problems.append(("title", "required"))
    elif len(title) > 200:
        problems.append(("title", "too_long"))
    days: list[date] = []
    for name, raw in (("first_day", first_day), ("last_day", last_day)):
        try:
            day = date.fromisoformat(raw.strip())
            if not 2000 <= day.year <= 2100:
                raise ValueError(raw)
            days.append(day)
        except ValueError:
            problems.append((name, "not_a_date"))
    if len(days) == 2 and days[1] < days[0]:
        problems.append(("last_day", "before_first"))
    if municipality and municipality not in municipalities:
        problems.append(("municipality", "unknown"))
    if channel and channel not in CHANNEL_NAMES:
        problems.append(("channel", "unknown"))
    if problems:
        return None, problems
    return QuietInput(title.strip(), reason.strip(), days[0], days[1], municipality, channel), []


def add_quiet_period(
    session: Session, data: QuietInput, zone: ZoneInfo, now: datetime, by: str
) -> tuple[QuietPeriod, list[Draft]]:
    """Record the quiet period; return it with the items already planned inside it."""
    from datetime import time, timedelta

    muni = (
        session.scalar(select(Municipality).where(Municipality.slug == data.municipality))
        if data.municipality
        else None
    )
    period = QuietPeriod(
        title=data.title,
        reason=data.reason,
        starts_at=wall_clock_utc(data.first_day, time(0), zone),
        ends_at=wall_clock_utc(data.last_day + timedelta(days=1), time(0), zone),
        municipality=muni,
        channel=data.channel,
        created_at=now,
        created_by=by,
    )
    session.add(period)
    session.flush()
    return period, items_in_quiet_period(session, period)


def quiet_periods(session: Session, since: datetime | None = None) -> list[QuietPeriod]:
    query = select(QuietPeriod).order_by(QuietPeriod.starts_at)
    if since is not None:
        query = query.where(QuietPeriod.ends_at > since)
    return list(session.scalars(query))


def delete_quiet_period(session: Session, period_id: int) -> bool:
    period = session.get(QuietPeriod, period_id)
    if period is None:
        return False
    session.delete(period)
    session.flush()
    return True


def next_free_slots(
    session: Session,
    channels: list[str],
    now: datetime,
    zone: ZoneInfo,
    ignore: int | None = None,
) -> dict[str, datetime]:
    """For each channel with a plan, its next free slot after `now` (for the compose form)."""
    from schedules.slots import next_free_slot

    found = {}
    for channel in channels:
        when = next_free_slot(session, channel, now, zone, ignore=ignore)
        if when is not None:
            found[channel] = when
    return found
