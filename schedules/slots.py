"""Posting-plan arithmetic: slot times, quiet periods, the next free slot, rhythm per month.

Functions take the session, `now` and the organisation's zone as arguments (no clock, no Flask),
so tests use a fixed clock. Months are calendar months in the organisation's zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.localtime import AmbiguousLocalTime, NonexistentLocalTime, local_to_utc
from drafts.models import Draft
from drafts.states import Status
from schedules.plan import PlanSlot, QuietPeriod, RhythmGoal

# Items that occupy a slot and count towards a rhythm: everything not called off.
LIVE = tuple(s.value for s in Status if s not in (Status.CANCELLED, Status.REJECTED))


def wall_clock_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`day` at wall-clock `at` in `zone`, as UTC: a time in the spring gap moves to the first
    minute after it; one in the autumn overlap is the first (summer-time) instance."""
    try:
        return local_to_utc(datetime.combine(day, at), zone)
    except NonexistentLocalTime as exc:
        return exc.suggestion.astimezone(UTC)
    except AmbiguousLocalTime as exc:
        return exc.choices[0]


def parse_hhmm(text: str) -> time:
    """'09:00' → time(9, 0); ValueError otherwise."""
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(text)
    return time(int(hours), int(minutes))


def _runs_in_week(slot: PlanSlot, day: date) -> bool:
    weeks = (
        (day - timedelta(days=day.weekday()))
        - (slot.anchor - timedelta(days=slot.anchor.weekday()))
    ).days // 7
    return weeks % max(1, slot.every_weeks) == 0


def slot_times(slot: PlanSlot, first: date, last: date, zone: ZoneInfo) -> list[datetime]:
    """The slot's instants (UTC) on the local days `first`..`last`, in order."""
    at = parse_hhmm(slot.local_time)
    found = []
    day = first
    while day <= last:
        if day.weekday() in (slot.weekdays or []) and _runs_in_week(slot, day):
            found.append(wall_clock_utc(day, at, zone))
        day += timedelta(days=1)
    return found


def quiet_periods_at(
    session: Session, when: datetime, channels: Iterable[str], municipality_ids: Iterable[int]
) -> list[QuietPeriod]:
    """Quiet periods that cover `when` for any of `channels` and the given municipalities."""
    channels, municipality_ids = set(channels), set(municipality_ids)
    rows = session.scalars(
        select(QuietPeriod)
        .where(QuietPeriod.starts_at <= when, QuietPeriod.ends_at > when)
        .order_by(QuietPeriod.starts_at)
    )
    return [
        p
        for p in rows
        if (not p.channel or p.channel in channels)
        and (p.municipality_id is None or p.municipality_id in municipality_ids)
    ]


def quiet_periods_for(session: Session, draft: Draft, when: datetime) -> list[QuietPeriod]:
    """Quiet periods that would stop `draft` going out at `when`."""
    return quiet_periods_at(
        session, when, draft.channels or [], [m.id for m in draft.municipalities]
    )


def items_in_quiet_period(session: Session, period: QuietPeriod) -> list[Draft]:
    """Items planned inside `period` that it concerns: a person has to move them."""
    rows = session.scalars(
        select(Draft)
        .where(
            Draft.desired_at >= period.starts_at,
            Draft.desired_at < period.ends_at,
            Draft.status.in_(
                [
                    Status.DRAFT.value,
                    Status.IN_REVIEW.value,
                    Status.APPROVED.value,
                    Status.SCHEDULED.value,
                ]
            ),
        )
        .order_by(Draft.desired_at)
    )
    return [
        d
        for d in rows
        if (not period.channel or period.channel in (d.channels or []))
        and (
            period.municipality_id is None
            or period.municipality_id in {m.id for m in d.municipalities}
        )
    ]


def taken_times(
    session: Session, channel: str, start: datetime, end: datetime, ignore: int | None = None
) -> set[datetime]:
    """Instants in [start, end) at which an item on `channel` is already planned."""
    rows = session.execute(
        select(Draft.id, Draft.desired_at, Draft.channels).where(
            Draft.desired_at >= start, Draft.desired_at < end, Draft.status.in_(LIVE)
        )
    )
    return {
        when
        for id_, when, channels in rows
        if when is not None and channel in (channels or []) and id_ != ignore
    }


def next_free_slot(
    session: Session,
    channel: str,
    after: datetime,
    zone: ZoneInfo,
    *,
    municipality_ids: Sequence[int] = (),
    horizon_days: int = 180,
    ignore: int | None = None,
) -> datetime | None:
    """The first slot of `channel`'s plan after `after` that is neither taken nor quiet."""
    slots = list(
        session.scalars(
            select(PlanSlot).where(PlanSlot.channel == channel, PlanSlot.active.is_(True))
        )
    )
    if not slots:
        return None
    first = after.astimezone(zone).date()
    last = first + timedelta(days=horizon_days)
    candidates = sorted({t for s in slots for t in slot_times(s, first, last, zone) if t > after})
    if not candidates:
        return None
    taken = taken_times(
        session, channel, candidates[0], candidates[-1] + timedelta(seconds=1), ignore
    )
    for when in candidates:
        if when not in taken and not quiet_periods_at(session, when, [channel], municipality_ids):
            return when
    return None


@dataclass(frozen=True)
class RhythmCount:
    """How a channel's month measures against its goal: 'short', 'met' or 'over'."""

    channel: str
    month: date  # the first day of the month, local
    count: int
    minimum: int
    maximum: int | None

    @property
    def verdict(self) -> str:
        if self.count < self.minimum:
            return "short"
        if self.maximum is not None and self.count > self.maximum:
            return "over"
        return "met"


def month_bounds(month: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants at which the local calendar month starts and the next one starts."""
    start = month.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return (
        datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC),
        datetime.combine(following, time(0), tzinfo=zone).astimezone(UTC),
    )


def rhythm(session: Session, month: date, zone: ZoneInfo) -> list[RhythmCount]:
    """Each goal's count of live items in the local calendar month of `month`."""
    goals = list(session.scalars(select(RhythmGoal).order_by(RhythmGoal.channel)))
    if not goals:
        return []
    start, end = month_bounds(month, zone)
    rows = list(
        session.execute(
            select(Draft.channels).where(
                Draft.desired_at >= start, Draft.desired_at < end, Draft.status.in_(LIVE)
            )
        )
    )
    return [
        RhythmCount(
            g.channel,
            month.replace(day=1),
            sum(1 for (channels,) in rows if g.channel in (channels or [])),
            g.per_month_min,
            g.per_month_max,
        )
        for g in goals
    ]
